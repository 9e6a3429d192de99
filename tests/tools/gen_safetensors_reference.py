#!/usr/bin/python3
"""Writes PyTorch-trained models as safetensors plus their inputs/outputs, for tests/unit/test_safetensors.cpp.

Run with Debian's python3-torch:  /usr/bin/python3 tests/tools/gen_safetensors_reference.py
(The safetensors file format is written by hand here: Debian has no python3-safetensors.)
"""
import json
import pathlib
import struct

import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "data"
DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def save_file(tensors, path):
    header, blobs, offset = {}, [], 0
    for key, t in tensors.items():
        data = t.detach().contiguous().numpy().tobytes()
        header[key] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def write_matrix(f, name, m):
    f.write(f"{name} {m.shape[0]} {m.shape[1]}\n")
    for row in m.tolist():
        f.write(" ".join(repr(float(v)) for v in row) + "\n")


def make(name, model, inputs, train_steps):
    torch.manual_seed(0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    labels = torch.randint(0, model[-1].out_features, (inputs.shape[0],))
    for _ in range(train_steps):  # moves BatchNorm's running statistics away from (0, 1)
        model.train()
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs), labels).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        logits = model(inputs)
    save_file(model.state_dict(), OUT / f"{name}.safetensors")
    with open(OUT / f"{name}_io.txt", "w") as f:
        write_matrix(f, "input", inputs)
        write_matrix(f, "logits", logits)


if __name__ == "__main__":
    torch.manual_seed(1)
    make("torch_mlp", torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3)),
         torch.randn(4, 5), 3)
    torch.manual_seed(2)
    make("torch_bn_mlp",
         torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3)),
         torch.randn(5, 6), 4)
