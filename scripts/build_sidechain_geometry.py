#!/usr/bin/env python3
"""Ideal side-chain geometry for webfold, measured on the wwPDB Chemical Component Dictionary.

    python3 scripts/build_sidechain_geometry.py [--ccd /usr/share/openstructure/components.cif.gz]
                                                [--out src/sidechains/geometry.json]

Needs gemmi. The CCD comes with Debian's openstructure (a dependency of python3-promod3).
For every side-chain atom beyond CB (in building order) the topology below names its three
parent atoms (a, b, c: the atom is bonded to c) and which chi angle turns it. Bond length
|c X|, angle (b, c, X) and the torsion (a, b, c, X) are measured on the CCD's ideal coordinates;
for an atom turned by chi k the torsion is stored relative to chi k as the CCD's ideal
coordinates have it (0 for the atom that defines chi k, about +-120 for a branch such as
ILE CG2, 180 for the second oxygen of ASP). The two C-O bonds of ASP and GLU take their mean
(carboxylates, not the CCD's neutral acids). docs/SIDECHAINS.md describes the file.
"""
import argparse
import json
import math
import os

import gemmi

THREE = {"R": "ARG", "N": "ASN", "D": "ASP", "C": "CYS", "Q": "GLN", "E": "GLU", "H": "HIS",
         "I": "ILE", "L": "LEU", "K": "LYS", "M": "MET", "F": "PHE", "P": "PRO", "S": "SER",
         "T": "THR", "W": "TRP", "Y": "TYR", "V": "VAL"}
# chi k of each residue: the four atoms that define it (IUPAC-IUB 1970).
CHIS = {
    "R": [("N", "CA", "CB", "CG"), ("CA", "CB", "CG", "CD"), ("CB", "CG", "CD", "NE"), ("CG", "CD", "NE", "CZ")],
    "N": [("N", "CA", "CB", "CG"), ("CA", "CB", "CG", "OD1")],
    "D": [("N", "CA", "CB", "CG"), ("CA", "CB", "CG", "OD1")],
    "C": [("N", "CA", "CB", "SG")],
    "Q": [("N", "CA", "CB", "CG"), ("CA", "CB", "CG", "CD"), ("CB", "CG", "CD", "OE1")],
    "E": [("N", "CA", "CB", "CG"), ("CA", "CB", "CG", "CD"), ("CB", "CG", "CD", "OE1")],
    "H": [("N", "CA", "CB", "CG"), ("CA", "CB", "CG", "ND1")],
    "I": [("N", "CA", "CB", "CG1"), ("CA", "CB", "CG1", "CD1")],
    "L": [("N", "CA", "CB", "CG"), ("CA", "CB", "CG", "CD1")],
    "K": [("N", "CA", "CB", "CG"), ("CA", "CB", "CG", "CD"), ("CB", "CG", "CD", "CE"), ("CG", "CD", "CE", "NZ")],
    "M": [("N", "CA", "CB", "CG"), ("CA", "CB", "CG", "SD"), ("CB", "CG", "SD", "CE")],
    "F": [("N", "CA", "CB", "CG"), ("CA", "CB", "CG", "CD1")],
    "P": [("N", "CA", "CB", "CG"), ("CA", "CB", "CG", "CD")],
    "S": [("N", "CA", "CB", "OG")],
    "T": [("N", "CA", "CB", "OG1")],
    "W": [("N", "CA", "CB", "CG"), ("CA", "CB", "CG", "CD1")],
    "Y": [("N", "CA", "CB", "CG"), ("CA", "CB", "CG", "CD1")],
    "V": [("N", "CA", "CB", "CG1")],
}
# Atoms in building order: (atom, a, b, c, chi); chi 0 = a fixed torsion. An atom turned by
# chi k has the parents of chi k's last atom, so that its torsion is chi k plus a constant.
ATOMS = {
    "R": [("CG", "N", "CA", "CB", 1), ("CD", "CA", "CB", "CG", 2), ("NE", "CB", "CG", "CD", 3), ("CZ", "CG", "CD", "NE", 4),
          ("NH1", "CD", "NE", "CZ", 0), ("NH2", "CD", "NE", "CZ", 0)],
    "N": [("CG", "N", "CA", "CB", 1), ("OD1", "CA", "CB", "CG", 2), ("ND2", "CA", "CB", "CG", 2)],
    "D": [("CG", "N", "CA", "CB", 1), ("OD1", "CA", "CB", "CG", 2), ("OD2", "CA", "CB", "CG", 2)],
    "C": [("SG", "N", "CA", "CB", 1)],
    "Q": [("CG", "N", "CA", "CB", 1), ("CD", "CA", "CB", "CG", 2), ("OE1", "CB", "CG", "CD", 3), ("NE2", "CB", "CG", "CD", 3)],
    "E": [("CG", "N", "CA", "CB", 1), ("CD", "CA", "CB", "CG", 2), ("OE1", "CB", "CG", "CD", 3), ("OE2", "CB", "CG", "CD", 3)],
    "H": [("CG", "N", "CA", "CB", 1), ("ND1", "CA", "CB", "CG", 2), ("CD2", "CA", "CB", "CG", 2),
          ("CE1", "CB", "CG", "ND1", 0), ("NE2", "CB", "CG", "CD2", 0)],
    "I": [("CG1", "N", "CA", "CB", 1), ("CG2", "N", "CA", "CB", 1), ("CD1", "CA", "CB", "CG1", 2)],
    "L": [("CG", "N", "CA", "CB", 1), ("CD1", "CA", "CB", "CG", 2), ("CD2", "CA", "CB", "CG", 2)],
    "K": [("CG", "N", "CA", "CB", 1), ("CD", "CA", "CB", "CG", 2), ("CE", "CB", "CG", "CD", 3), ("NZ", "CG", "CD", "CE", 4)],
    "M": [("CG", "N", "CA", "CB", 1), ("SD", "CA", "CB", "CG", 2), ("CE", "CB", "CG", "SD", 3)],
    "F": [("CG", "N", "CA", "CB", 1), ("CD1", "CA", "CB", "CG", 2), ("CD2", "CA", "CB", "CG", 2),
          ("CE1", "CB", "CG", "CD1", 0), ("CE2", "CB", "CG", "CD2", 0), ("CZ", "CG", "CD1", "CE1", 0)],
    "P": [("CG", "N", "CA", "CB", 1), ("CD", "CA", "CB", "CG", 2)],
    "S": [("OG", "N", "CA", "CB", 1)],
    "T": [("OG1", "N", "CA", "CB", 1), ("CG2", "N", "CA", "CB", 1)],
    "W": [("CG", "N", "CA", "CB", 1), ("CD1", "CA", "CB", "CG", 2), ("CD2", "CA", "CB", "CG", 2),
          ("NE1", "CB", "CG", "CD1", 0), ("CE2", "CB", "CG", "CD2", 0), ("CE3", "CB", "CG", "CD2", 0),
          ("CZ2", "CG", "CD2", "CE2", 0), ("CZ3", "CG", "CD2", "CE3", 0), ("CH2", "CD2", "CE2", "CZ2", 0)],
    "Y": [("CG", "N", "CA", "CB", 1), ("CD1", "CA", "CB", "CG", 2), ("CD2", "CA", "CB", "CG", 2),
          ("CE1", "CB", "CG", "CD1", 0), ("CE2", "CB", "CG", "CD2", 0), ("CZ", "CG", "CD1", "CE1", 0),
          ("OH", "CD1", "CE1", "CZ", 0)],
    "V": [("CG1", "N", "CA", "CB", 1), ("CG2", "N", "CA", "CB", 1)],
}


def sub(a, b):
    return [a[i] - b[i] for i in range(3)]


def dot(a, b):
    return sum(a[i] * b[i] for i in range(3))


def cross(a, b):
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def angle(a, b, c):
    u, v = sub(a, b), sub(c, b)
    return math.degrees(math.acos(max(-1.0, min(1.0, dot(u, v) / math.sqrt(dot(u, u) * dot(v, v))))))


def torsion(p0, p1, p2, p3):
    """IUPAC sign, as webfold's library.rs: positive when p3 is turned clockwise from p0 looking along p1 -> p2."""
    b1, b2, b3 = sub(p1, p0), sub(p2, p1), sub(p3, p2)
    y = math.sqrt(dot(b2, b2)) * dot(b1, cross(b2, b3))
    x = dot(cross(b1, b2), cross(b2, b3))
    return math.degrees(math.atan2(y, x))


def wrap(deg):
    return (deg + 180.0) % 360.0 - 180.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ccd", default="/usr/share/openstructure/components.cif.gz")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "src", "sidechains", "geometry.json"))
    args = ap.parse_args()
    doc = gemmi.cif.read(args.ccd)
    out = {"format": "webfold side-chain geometry", "version": 1,
           "source": "wwPDB Chemical Component Dictionary (ideal coordinates), " + os.path.basename(args.ccd),
           "atoms": "[name, element, a, b, c, bond A, angle (b, c, X) deg, torsion (a, b, c, X) deg, chi]: "
                    "chi 0 = fixed torsion, chi k = torsion added to chi k",
           "residues": {}}
    for letter, three in THREE.items():
        block = doc.find_block(three)
        table = block.find("_chem_comp_atom.", ["atom_id", "type_symbol", "pdbx_model_Cartn_x_ideal",
                                                "pdbx_model_Cartn_y_ideal", "pdbx_model_Cartn_z_ideal"])
        pos = {gemmi.cif.as_string(r[0]): [float(r[2]), float(r[3]), float(r[4])] for r in table}
        element = {gemmi.cif.as_string(r[0]): gemmi.cif.as_string(r[1]) for r in table}
        chi_ref = [torsion(*(pos[n] for n in chi)) for chi in CHIS[letter]]
        atoms = []
        for name, a, b, c, chi in ATOMS[letter]:
            t = torsion(pos[a], pos[b], pos[c], pos[name])
            if chi:
                if CHIS[letter][chi - 1][:3] != (a, b, c):
                    raise SystemExit(f"{three} {name}: parents {a} {b} {c} differ from chi{chi}'s")
                t = wrap(t - chi_ref[chi - 1])
            bond = math.dist(pos[c], pos[name])
            atoms.append([name, element[name], a, b, c, round(bond, 4), round(angle(pos[b], pos[c], pos[name]), 3), round(t, 3), chi])
        # The CCD draws carboxylic acids (C=O 1.21, C-OH 1.34 A); in a protein at neutral pH
        # ASP and GLU are carboxylates with two equal C-O bonds, so both take the mean.
        for pair in (("OD1", "OD2"), ("OE1", "OE2")):
            both = [x for x in atoms if x[0] in pair]
            if letter in "DE" and len(both) == 2:
                mean = round((both[0][5] + both[1][5]) / 2, 4)
                both[0][5] = both[1][5] = mean
        out["residues"][letter] = {"name": three, "chis": [list(c) for c in CHIS[letter]], "atoms": atoms}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    print(f"{args.out}: {sum(len(r['atoms']) for r in out['residues'].values())} atoms of {len(out['residues'])} residues")


if __name__ == "__main__":
    main()
