"""Hand-crafted feature extractors, each a scikit-learn transformer over image arrays."""
