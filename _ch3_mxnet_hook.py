"""Start-up hook of ch3 (run by ch3-mxnet-hook.pth in site-packages): before any `import mxnet`,
restore the numpy names MXNet 1.9.1 reads (ch3/_numpy_compat.py), so that plain `import mxnet`
works under numpy 2 even in code that never imports ch3.

It costs one entry on sys.meta_path at start-up; numpy is imported only when mxnet is. The compat
module is loaded from its file, because importing the ch3 package would import mxnet itself.
"""
import importlib.util
import os
import sys


def _load_compat():
    """ch3/_numpy_compat.py as a module, without running ch3/__init__.py."""
    spec = importlib.util.find_spec('ch3')   # locates the package; does not execute it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], '_numpy_compat.py')
    if not os.path.isfile(path):
        return None
    module_spec = importlib.util.spec_from_file_location('_ch3_numpy_compat', path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


class MxnetImportHook:
    """A meta-path finder that finds nothing: it runs the compat once, at the first import of
    mxnet, then leaves sys.meta_path and lets the normal finders import mxnet."""

    def find_spec(self, fullname, path=None, target=None):
        """Meta-path protocol: on 'mxnet', restore numpy's names; never returns a spec."""
        if fullname == 'mxnet':
            uninstall()
            compat = _load_compat()
            if compat is not None:
                compat.restore()
        return None


def install():
    """Put the hook first on sys.meta_path unless mxnet is already imported or the hook is there."""
    if 'mxnet' in sys.modules or any(isinstance(f, MxnetImportHook) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, MxnetImportHook())


def uninstall():
    """Take every MxnetImportHook off sys.meta_path."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, MxnetImportHook)]
