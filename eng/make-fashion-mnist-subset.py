#!/usr/bin/env python3
"""Generate the small Fashion-MNIST subset embedded in the NFNet sample app.

Reads the four official Fashion-MNIST IDX files (gzip-compressed or not) and
writes a stratified, deterministic subset as 28x28 8-bit grayscale PNG files,
one folder per class:

    <out>/FashionMnist/<ClassName>/train-<index>.png      (from the training split)
    <out>/FashionMnistTest/<ClassName>/test-<index>.png   (from the test split)

<index> is the zero-based position of the image in its IDX file (5 digits), so
every PNG can be traced back to the original data set.

Selection rule (per split, per class): every candidate index i of that class is
ranked by SHA-256("<seed>:<split>:<i>") (hex digest, ascending); the first N are
kept. This depends only on the seed and the IDX contents - not on the Python
version or its random module - so reruns give the same selection.

PNGs contain only IHDR, IDAT and IEND (no timestamps or other metadata), with
filter type 0 on every row and zlib level 9, so reruns produce byte-identical
files.

Standard library only.

Usage:
    python3 eng/make-fashion-mnist-subset.py /usr/share/datasets/fashion-mnist \
        src/Microsoft.ML.NFNet.Samples/Data
"""

import argparse
import gzip
import hashlib
import os
import struct
import sys
import zlib

# Official label order (https://github.com/zalandoresearch/fashion-mnist#labels),
# made filesystem-friendly: "T-shirt/top" -> "T-shirt_top", "Ankle boot" -> "Ankle_boot".
CLASS_NAMES = [
    "T-shirt_top",  # 0  T-shirt/top
    "Trouser",      # 1  Trouser
    "Pullover",     # 2  Pullover
    "Dress",        # 3  Dress
    "Coat",         # 4  Coat
    "Sandal",       # 5  Sandal
    "Shirt",        # 6  Shirt
    "Sneaker",      # 7  Sneaker
    "Bag",          # 8  Bag
    "Ankle_boot",   # 9  Ankle boot
]

SPLITS = {
    # split name: (images file, labels file, output folder)
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "FashionMnist"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "FashionMnistTest"),
}

DEFAULT_SEED = 20240601
DEFAULT_TRAIN_PER_CLASS = 150
DEFAULT_TEST_PER_CLASS = 30


def read_idx_bytes(idx_dir, name):
    """Return the raw bytes of an IDX file, accepting '<name>' or '<name>.gz'."""
    plain = os.path.join(idx_dir, name)
    gz = plain + ".gz"
    if os.path.isfile(plain):
        with open(plain, "rb") as f:
            return f.read()
    if os.path.isfile(gz):
        with gzip.open(gz, "rb") as f:
            return f.read()
    sys.exit(f"error: neither {plain} nor {gz} exists")


def read_images(idx_dir, name):
    data = read_idx_bytes(idx_dir, name)
    magic, count, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 0x00000803:
        sys.exit(f"error: {name}: bad magic 0x{magic:08x} (expected 0x00000803)")
    if (rows, cols) != (28, 28):
        sys.exit(f"error: {name}: images are {rows}x{cols}, expected 28x28")
    if len(data) != 16 + count * rows * cols:
        sys.exit(f"error: {name}: size {len(data)} does not match header ({count} images)")
    return count, rows, cols, data[16:]


def read_labels(idx_dir, name):
    data = read_idx_bytes(idx_dir, name)
    magic, count = struct.unpack(">II", data[:8])
    if magic != 0x00000801:
        sys.exit(f"error: {name}: bad magic 0x{magic:08x} (expected 0x00000801)")
    labels = data[8:]
    if len(labels) != count:
        sys.exit(f"error: {name}: size {len(data)} does not match header ({count} labels)")
    if any(label >= len(CLASS_NAMES) for label in labels):
        sys.exit(f"error: {name}: label outside 0..{len(CLASS_NAMES) - 1}")
    return labels


def png_chunk(kind, payload):
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def encode_gray_png(pixels, width, height):
    """Minimal 8-bit grayscale PNG: IHDR + IDAT + IEND, filter 0 on every row."""
    raw = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # depth 8, grayscale, no interlace
    return (b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(raw, 9))
            + png_chunk(b"IEND", b""))


def select(labels, split, per_class, seed):
    """Per class, the `per_class` indices with the smallest SHA-256 rank, sorted by index."""
    by_class = {c: [] for c in range(len(CLASS_NAMES))}
    for index, label in enumerate(labels):
        by_class[label].append(index)
    chosen = {}
    for c, indices in by_class.items():
        if len(indices) < per_class:
            sys.exit(f"error: {split}: class {c} has only {len(indices)} images, {per_class} requested")
        ranked = sorted(indices, key=lambda i: hashlib.sha256(f"{seed}:{split}:{i}".encode("ascii")).hexdigest())
        chosen[c] = sorted(ranked[:per_class])
    return chosen


def clean_pngs(folder):
    """Remove PNGs this script may have written earlier (only inside its own class folders)."""
    for name in CLASS_NAMES:
        class_dir = os.path.join(folder, name)
        if os.path.isdir(class_dir):
            for entry in os.listdir(class_dir):
                if entry.endswith(".png"):
                    os.remove(os.path.join(class_dir, entry))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("idx_dir", help="folder with the Fashion-MNIST IDX files (.gz or uncompressed)")
    parser.add_argument("out_dir", help="output folder; FashionMnist/ and FashionMnistTest/ are created in it")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"selection seed (default {DEFAULT_SEED})")
    parser.add_argument("--train-per-class", type=int, default=DEFAULT_TRAIN_PER_CLASS,
                        help=f"images per class from the training split (default {DEFAULT_TRAIN_PER_CLASS})")
    parser.add_argument("--test-per-class", type=int, default=DEFAULT_TEST_PER_CLASS,
                        help=f"images per class from the test split (default {DEFAULT_TEST_PER_CLASS})")
    args = parser.parse_args()

    per_class = {"train": args.train_per_class, "test": args.test_per_class}
    for split, (images_name, labels_name, folder_name) in SPLITS.items():
        count, rows, cols, pixels = read_images(args.idx_dir, images_name)
        labels = read_labels(args.idx_dir, labels_name)
        if len(labels) != count:
            sys.exit(f"error: {split}: {count} images but {len(labels)} labels")

        folder = os.path.join(args.out_dir, folder_name)
        clean_pngs(folder)
        chosen = select(labels, split, per_class[split], args.seed)
        size = rows * cols
        total = 0
        for c, indices in chosen.items():
            class_dir = os.path.join(folder, CLASS_NAMES[c])
            os.makedirs(class_dir, exist_ok=True)
            for i in indices:
                png = encode_gray_png(pixels[i * size:(i + 1) * size], cols, rows)
                with open(os.path.join(class_dir, f"{split}-{i:05d}.png"), "wb") as f:
                    f.write(png)
            total += len(indices)
            print(f"{split}: {CLASS_NAMES[c]:<12} {len(indices)}")
        print(f"{split}: {total} images written to {folder}")


if __name__ == "__main__":
    main()
