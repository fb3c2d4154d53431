"""Classifiers: the SVM on the hand-crafted side, torch networks on the learned side."""
