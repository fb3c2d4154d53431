"""Configs become jobs, jobs become records: jobs, the one executor, batches (here, a process
pool or Dask), the feature cache, the artifacts a record carries, progress lines."""
