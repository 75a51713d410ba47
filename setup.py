"""Build step beyond setup.cfg: install ch3-mxnet-hook.pth at the top of site-packages.

A .pth file only runs from a site directory itself, never from inside a package, so the normal
build copies it into the wheel's root (build_lib) and an editable install (`pip install -e .`,
PEP 660) writes it into the editable wheel's root, which setuptools' editable_wheel command passes
to build_py as the `install` command's install_lib. See docs/install.md.
"""
import os

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = 'ch3-mxnet-hook.pth'


class BuildPyWithPth(build_py):
    """build_py that also puts the start-up hook's .pth file at the wheel's top level."""

    def run(self):
        super().run()
        target = self.build_lib
        if getattr(self, 'editable_mode', False):
            target = self.get_finalized_command('install').install_lib
        self.copy_file(PTH, os.path.join(target, PTH), preserve_mode=False)

    def get_outputs(self, include_bytecode=True):
        return super().get_outputs(include_bytecode) + [os.path.join(self.build_lib, PTH)]


setup(cmdclass={'build_py': BuildPyWithPth})
