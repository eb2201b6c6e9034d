"""Pack a prebuilt `webfold` binary small enough to travel to the GPU machine with the training data.

The release binary embeds the template library (templates/library.wftl, 12.4 MB) and the
weights (weights/webfold.safetensors) with `include_bytes!`; both files travel anyway as part of
the git tree. `pack` therefore cuts them out of the binary (when found byte for byte), xz-compresses
the rest and records where they go; `unpack` on the other machine splices the tree's copies back
in and checks the SHA-256 of the whole binary. A wgpu build packs to a few MB instead of ~25.

    cargo build --release --features wgpu
    python3 train/webfold_train/binpack.py pack $CARGO_TARGET_DIR/release/webfold runs/gpu-bin/webfold.wfbin
    cp /usr/lib/x86_64-linux-gnu/libvulkan.so.1 runs/gpu-bin/    # the Vulkan loader (libvulkan1)

Format: b"WFBIN1\\n", one line of JSON (size, sha256, splices: offset, path relative to the
repository root, length, sha256), then the xz stream of the binary without the spliced ranges.
Standard library only.
"""
import hashlib
import json
import lzma
import os
import sys

MAGIC = b"WFBIN1\n"
SPLICE_FILES = ("templates/library.wftl", "weights/webfold.safetensors")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _sha(b):
    return hashlib.sha256(b).hexdigest()


def pack(binary, dest, root=ROOT, files=SPLICE_FILES):
    data = open(binary, "rb").read()
    found = []
    for rel in files:
        blob = open(os.path.join(root, rel), "rb").read()
        at = data.find(blob)
        if at >= 0 and len(blob) > 0:
            found.append((at, rel, blob))
    found.sort()
    rest, pos, splices = [], 0, []
    for at, rel, blob in found:
        if at < pos:  # overlapping matches cannot happen for distinct files; be safe
            continue
        rest.append(data[pos:at])
        splices.append({"offset": at, "path": rel, "length": len(blob), "sha256": _sha(blob)})
        pos = at + len(blob)
    rest.append(data[pos:])
    header = {"size": len(data), "sha256": _sha(data), "splices": splices}
    os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
    with open(dest, "wb") as f:
        f.write(MAGIC + json.dumps(header).encode() + b"\n")
        f.write(lzma.compress(b"".join(rest), preset=9))
    return header


def is_pack(path):
    with open(path, "rb") as f:
        return f.read(len(MAGIC)) == MAGIC


def unpack(src, dest, root=ROOT):
    """Rebuild the binary at `dest` (mode 755); raises ValueError with the reason if it cannot."""
    raw = open(src, "rb").read()
    if not raw.startswith(MAGIC):
        raise ValueError(f"{src} is not a webfold binary pack")
    nl = raw.index(b"\n", len(MAGIC))
    header = json.loads(raw[len(MAGIC):nl])
    rest = lzma.decompress(raw[nl + 1:])
    out, pos = [], 0
    for s in header["splices"]:
        blob = open(os.path.join(root, s["path"]), "rb").read()
        if _sha(blob) != s["sha256"]:
            raise ValueError(f"{s['path']} changed since the binary was packed (rebuild and pack again)")
        take = s["offset"] - sum(len(b) for b in out)
        out.append(rest[pos:pos + take])
        pos += take
        out.append(blob)
    out.append(rest[pos:])
    data = b"".join(out)
    if len(data) != header["size"] or _sha(data) != header["sha256"]:
        raise ValueError("unpacked binary does not match its recorded SHA-256")
    with open(dest, "wb") as f:
        f.write(data)
    os.chmod(dest, 0o755)
    return dest


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 3 or argv[0] not in ("pack", "unpack"):
        raise SystemExit("usage: binpack.py pack BINARY PACK | unpack PACK BINARY")
    if argv[0] == "pack":
        h = pack(argv[1], argv[2])
        print(f"packed {h['size']} bytes into {os.path.getsize(argv[2])} "
              f"(spliced: {', '.join(s['path'] for s in h['splices']) or 'nothing'})")
    else:
        unpack(argv[1], argv[2])
        print(f"unpacked {argv[2]}")


if __name__ == "__main__":
    main()
