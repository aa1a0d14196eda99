

import os

# every figure is of the pure-Python modules unless a section says otherwise: a developer's
# compiled hot modules (onething._compiled) are left out; section 1's compiled side clears it
os.environ.setdefault("ONETHING_PURE", "1")
