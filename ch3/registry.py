"""One entry point for every section: run_section('3.9', impl='gluon', ctx='cpu', seed=0, ...).

The registry imports the section modules (never the other way round); each module describes its
sections in a module-level SECTIONS list of ch3.sections.Section.
"""
import importlib
import inspect
import json

from ch3.context import as_ctx_list, ctx_names
from ch3.utils import set_seed

SECTION_MODULES = (
    'ch3.sections.linear_regression',   # 3.1-3.3
    'ch3.sections.softmax',             # 3.4, 3.6, 3.7
    'ch3.sections.fashion_mnist',       # 3.5
    'ch3.sections.activations',         # 3.8
    'ch3.sections.mlp',                 # 3.9, 3.10
    'ch3.sections.model_selection',     # 3.11
    'ch3.sections.weight_decay',        # 3.12
    'ch3.sections.dropout',             # 3.13
    'ch3.sections.backprop',            # 3.14
    'ch3.sections.initialization',      # 3.15
    'ch3.sections.kaggle_house',        # 3.16
)

_CACHE = {}


def _section_key(number):
    return tuple(int(part) for part in number.split('.'))


def _load_sections():
    if not _CACHE:
        for name in SECTION_MODULES:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as err:
                if err.name == name:   # that section is not written yet
                    continue
                raise
            for section in module.SECTIONS:
                _CACHE[section.number] = (section, name)
    return _CACHE


def get_section(number):
    """Return the Section registered under `number` (e.g. '3.9'), or raise ValueError."""
    sections = _load_sections()
    number = str(number).strip()
    if number not in sections:
        known = ', '.join(sorted(sections, key=_section_key))
        raise ValueError('unknown section %r; known sections: %s' % (number, known))
    return sections[number][0]


def list_sections():
    """All registered sections in book order: [{'section', 'title', 'module', 'impls'}]."""
    sections = _load_sections()
    return [{'section': number, 'title': sections[number][0].title,
             'module': sections[number][1], 'impls': sorted(sections[number][0].impls),
             'default_impl': sections[number][0].default_impl}
            for number in sorted(sections, key=_section_key)]


def _check_hyperparameters(section, impl, fn, hyperparameters):
    accepted = [name for name, p in inspect.signature(fn).parameters.items()
                if p.kind == p.KEYWORD_ONLY or p.kind == p.POSITIONAL_OR_KEYWORD]
    unknown = sorted(set(hyperparameters) - set(accepted) - {'ctx', 'quick', 'out'})
    if unknown:
        tunable = [a for a in accepted if a not in ('ctx', 'quick', 'out')]
        raise ValueError('section %s (%s) has no hyperparameter %s; it takes: %s'
                         % (section, impl, ', '.join(unknown), ', '.join(tunable) or 'none'))


def run_section(section, impl=None, ctx=None, seed=0, quick=False, out=None, **hyperparameters):
    """Run one section's scratch or Gluon version; return its JSON-serializable result dict."""
    spec = get_section(section)
    impl = impl or spec.default_impl
    if impl not in spec.impls:
        raise ValueError('section %s has no %r version; choose from: %s'
                         % (spec.number, impl, ', '.join(sorted(spec.impls))))
    fn = spec.impls[impl]
    _check_hyperparameters(spec.number, impl, fn, hyperparameters)
    contexts = as_ctx_list(ctx)
    seed = set_seed(seed)
    result = fn(ctx=contexts, quick=quick, out=out, **hyperparameters)
    ordered = {'section': spec.number, 'impl': impl, 'ctx': ctx_names(contexts), 'seed': seed,
               'quick': bool(quick)}
    ordered.update(result)
    json.dumps(ordered)   # fail here, not in a writer later, if a section returns non-JSON values
    return ordered
