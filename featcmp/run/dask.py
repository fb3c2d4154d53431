"""Running jobs on Dask distributed (the optional extra `featcmp[dask]`).

Workers compute records and send them back; the sweep process writes them. So only the sweep
host needs the output folder; each worker needs featcmp installed, the datasets at the paths
the configs name, and it keeps its own feature cache at the `--cache` path on its own disk.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from featcmp.errors import FeatcmpError
from featcmp.records import Record
from featcmp.run.executor import INTERNAL_FAILURE, execute, failed_record
from featcmp.run.jobs import Job

CONNECT_TIMEOUT = "10s"


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise FeatcmpError("--scheduler/--workers need Dask: pip install 'featcmp[dask]'") from None
    return distributed


def connect(scheduler: str | None, workers: int | None):
    """A Client of the cluster at `scheduler`, or of a new LocalCluster with `workers` workers.

    The local cluster listens on 127.0.0.1 only, one thread per worker process (torch and the
    SVM solvers use the cores themselves); no dashboard.
    """
    distributed = _import_distributed()
    if scheduler:
        try:
            return distributed.Client(scheduler, timeout=CONNECT_TIMEOUT), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise FeatcmpError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    # Shutting workers down is routine here; keep its log lines off the sweep's output.
    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = distributed.LocalCluster(
        n_workers=workers or 1,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    return distributed.Client(cluster), cluster


def run_on_dask(scheduler: str | None = None, workers: int | None = None):
    """An executor (see featcmp.run.sweep) on a Dask cluster: an existing one at `scheduler`, or
    `workers` local ones. One task per job, records back as they finish."""
    _import_distributed()

    def executor(jobs: list[Job], feature_cache: str | None) -> Iterator[tuple[Job, Record]]:
        from distributed import as_completed

        client, cluster = connect(scheduler, workers)
        futures = {}
        try:
            for i, job in enumerate(jobs):
                # A readable key: the dashboard shows which run a task is.
                fut = client.submit(execute, job, feature_cache, key=f"featcmp-{job.id}-{i}")
                futures[fut] = job
            for fut in as_completed(futures):
                job = futures[fut]
                try:
                    record = fut.result()
                except Exception as exc:  # a worker died or the task could not run
                    error = RuntimeError(f"dask: {exc}")
                    record = failed_record(job, None, error, INTERNAL_FAILURE)
                yield job, record
        finally:
            client.cancel(list(futures))
            client.close()
            if cluster is not None:
                cluster.close()

    return executor
