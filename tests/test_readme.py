"""Every example in README.md runs as written: the shell commands (with --quick added to training
runs and --out in a temporary folder) and the Python blocks."""
import os
import re
import shlex
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def _blocks(language):
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as handle:
        text = handle.read()
    return re.findall(r'```%s\n(.*?)```' % language, text, flags=re.S)


def _commands():
    """The README's shell commands that use the venv (make targets are the suite itself)."""
    commands = []
    for block in _blocks('sh'):
        for line in block.splitlines():
            line = line.split('#')[0].strip()
            if line.startswith('.venv/bin/'):
                commands.append(line)
    return commands


def test_the_readme_has_examples_to_run():
    assert len(_commands()) >= 4 and len(_blocks('python')) >= 2


@pytest.mark.parametrize('command', _commands())
def test_readme_command_runs(command, tmp_path):
    words = shlex.split(command)
    words[0] = os.path.join(BIN, os.path.basename(words[0]))
    if words[0].endswith('python'):
        words[1] = os.path.join(ROOT, words[1])
    if 'run' in words or os.path.basename(words[1] if len(words) > 1 else '').startswith('sec3'):
        if '--quick' not in words:
            words.append('--quick')
        words += ['--out', str(tmp_path / 'out')]
    done = subprocess.run(words, capture_output=True, text=True, timeout=600, cwd=str(tmp_path),
                          env=dict(os.environ, MPLBACKEND='Agg'))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize('index', range(len(_blocks('python'))))
def test_readme_python_block_runs(index, tmp_path):
    code = _blocks('python')[index]
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=900, cwd=str(tmp_path), env=dict(os.environ, MPLBACKEND='Agg'))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
