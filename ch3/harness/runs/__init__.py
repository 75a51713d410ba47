"""The run layer of each section: read the data a run needs, call the book layer's functions,
and return a JSON result; each module lists what it offers in SECTIONS."""
from dataclasses import dataclass, field
from typing import Callable, Dict, Tuple


@dataclass(frozen=True)
class Section:
    """One book section: its number, title, default version and the functions that run it.

    Each function in `impls` takes keyword arguments ctx (list of Contexts), out (folder or None),
    verbose and the section's hyperparameters (book defaults in its signature), and returns
    {"hyperparameters": {...}, "history": [...], "final": {...}, "figures": [...]}.
    `multi_device` names the versions that split a batch across several devices; `book` holds
    the book's reference numbers for the report; `headline` the key path ('test_acc',
    'lambd=3/w_norm') of the one number a summary shows beside the book's.
    """
    number: str
    title: str
    impls: Dict[str, Callable]
    default_impl: str = 'scratch'
    book: Dict[str, object] = field(default_factory=dict)
    multi_device: Tuple[str, ...] = ('gluon',)
    headline: str = ''
