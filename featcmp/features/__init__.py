"""Feature extractors: raw pixels, edge kernels, HOG."""
