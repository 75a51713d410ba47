"""The book layer: chapter 3's maths and loops, one module per section topic, with d2lzh's names.

Nothing here knows about the run harness (CLI, reports, processes); it imports only from
ch3.book, ch3.data, ch3.checks, ch3.context and ch3.utils.
"""
