"""The reporter: reads JSON records, writes tables. Imports neither scikit-learn nor torch."""
