"""The run harness around the book layer: registry, results, CLI, reports, exercises, devices,
processes and profiling. Imports flow one way: ch3.harness -> ch3.book -> ch3.data / ch3.utils."""
