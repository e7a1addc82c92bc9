#!/usr/bin/env python3
"""Writes Data/FashionMnistExtra/<ClassName>/kaggle-<row>.png from a Kaggle-format Fashion-MNIST CSV.

The transfer demo needs more images of the five new classes (official labels 5-9) than the embedded subset has. This
takes them from a CSV in Kaggle's format (header, then `label,pixel1..pixel784` per row), skipping every row whose
pixels equal an image already under Data/ (any folder, any class), and reports how the rows relate to the embedded
subset, whose file names carry their official IDX index. Data/README.md records the source and what this found.

    python3 eng/make-fashion-mnist-extra.py fashion-mnist_test.csv src/Microsoft.ML.NFNet.Samples/Data

Python 3, standard library only; the PNGs are written as eng/make-fashion-mnist-subset.py writes them.
"""
import argparse
import csv
import glob
import importlib.util
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("subset", os.path.join(HERE, "make-fashion-mnist-subset.py"))
subset = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(subset)

CLASS_FOLDERS = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"]
NEW_LABELS = range(5, 10)
OUT_FOLDER = "FashionMnistExtra"


def decode_gray_png(path):
    """The pixels of an 8-bit grayscale, filter-0 PNG as the subset generator writes them."""
    data = open(path, "rb").read()
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, = struct.unpack(">I", data[pos:pos + 4])
        kind, payload = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height = struct.unpack(">II", payload[:8])
            if payload[8:10] != b"\x08\x00":
                raise ValueError(f"{path}: not 8-bit grayscale")
        elif kind == b"IDAT":
            idat += payload
    raw = zlib.decompress(idat)
    rows = [raw[r * (width + 1):(r + 1) * (width + 1)] for r in range(height)]
    if any(row[0] != 0 for row in rows):
        raise ValueError(f"{path}: a row filter other than 0")
    return b"".join(row[1:] for row in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", help="Kaggle-format CSV: label,pixel1..pixel784 with a header row")
    parser.add_argument("data_dir", help="the sample's Data folder (FashionMnist/ and FashionMnistTest/ are read)")
    args = parser.parse_args()

    with open(args.csv, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        rows = [(int(r[0]), bytes(int(v) for v in r[1:])) for r in reader]
    out = os.path.join(args.data_dir, OUT_FOLDER)
    for old in glob.glob(os.path.join(out, "*", "kaggle-*.png")):
        os.remove(old)
    embedded = {}
    for path in sorted(glob.glob(os.path.join(args.data_dir, "FashionMnist*", "*", "*.png"))):
        embedded.setdefault(decode_gray_png(path), path)

    same_index = [i for i in range(len(rows))
                  if os.path.exists(p := os.path.join(args.data_dir, "FashionMnistTest", CLASS_FOLDERS[rows[i][0]], f"test-{i:05d}.png"))
                  and decode_gray_png(p) == rows[i][1]]
    matches = [(i, os.path.relpath(embedded[px], args.data_dir)) for i, (_, px) in enumerate(rows) if px in embedded]
    print(f"{len(rows)} rows; rows equal to the embedded test image of the same index: {len(same_index)}")
    print(f"rows equal to an embedded image: {len(matches)} "
          f"({sum('FashionMnistTest' in m for _, m in matches)} test split, {sum('FashionMnistTest' not in m for _, m in matches)} training split)")

    written, size, seen = {}, 0, set()
    for i, (label, px) in enumerate(rows):
        if label not in NEW_LABELS or px in embedded or px in seen:
            continue
        seen.add(px)
        folder = os.path.join(out, CLASS_FOLDERS[label])
        os.makedirs(folder, exist_ok=True)
        png = subset.encode_gray_png(px, 28, 28)
        with open(os.path.join(folder, f"kaggle-{i:03d}.png"), "wb") as f:
            f.write(png)
        written[CLASS_FOLDERS[label]] = written.get(CLASS_FOLDERS[label], 0) + 1
        size += len(png)
    print(f"wrote {sum(written.values())} PNGs ({size:,} bytes) to {out}: {written}")


if __name__ == "__main__":
    main()
