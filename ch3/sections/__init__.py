"""The chapter's sections, one module per topic; each module lists what it offers in SECTIONS."""
from dataclasses import dataclass, field
from typing import Callable, Dict


@dataclass(frozen=True)
class Section:
    """One book section: its number, title, default version and the functions that run it.

    Each function in `impls` takes keyword arguments ctx (list of Contexts), quick (bool), out
    (folder or None) and the section's hyperparameters (book defaults in its signature), and
    returns {"hyperparameters": {...}, "history": [...], "final": {...}} (+ optional "figures").
    `book` holds the book's reference numbers for the report.
    """
    number: str
    title: str
    impls: Dict[str, Callable]
    default_impl: str = 'scratch'
    book: Dict[str, object] = field(default_factory=dict)
