"""Data sets of chapter 3: synthetic regression data, Fashion-MNIST and Kaggle house prices."""
