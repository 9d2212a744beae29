"""What the network labs (natlab.py, linklab.py) share: running a command and failing clearly."""

import subprocess


class LabError(RuntimeError):
    pass


def sh(*argv, check=True):
    """Runs @argv; its output (stdout and stderr), or LabError when it fails and @check."""
    r = subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and r.returncode != 0:
        raise LabError(f"{' '.join(argv)}: {r.stdout.strip()}")
    return r.stdout
