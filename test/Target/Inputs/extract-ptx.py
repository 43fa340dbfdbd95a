"""Writes the PTX of a gpu.binary (photon-to-nvvm=format=isa) to a file.

The assembly is one MLIR string attribute: bytes outside printable ASCII
come as \\XX escapes, which this undoes.
"""
import re
import sys

text = open(sys.argv[1]).read()
match = re.search(r'assembly = "((?:[^"\\]|\\.)*)"', text)
if not match:
    sys.exit("extract-ptx: no `assembly = \"...\"` in " + sys.argv[1])
ptx = re.sub(r'\\([0-9A-Fa-f]{2})|\\(.)',
             lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), match.group(1))
open(sys.argv[2], "w").write(ptx)
