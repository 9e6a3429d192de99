#!/usr/bin/python3
"""Writes tests/data/torch_conv_*: what PyTorch's Conv2d, BatchNorm2d, a small CNN trained with SGD and
momentum, and a residual network compute, for tests/unit/test_conv_reference.cpp.

Run with Debian's interpreter, which has torch and numpy (the python3 first on PATH may not):
    /usr/bin/python3 tests/tools/gen_conv_reference.py [output directory]

Files (safetensors, written by hand: Debian has no python3-safetensors):
    torch_conv_<case>.safetensors     the model's state_dict as PyTorch saves it (float32; the trained CNN
                                      in float64), what the test loads with load_safetensors
    torch_conv_reference.safetensors  everything else: inputs and upstream gradients float32, results
                                      float64, labels int64, keys "<case>.<what>":
        <case>.step<k>.x / .upstream       a train step: forward, then backward of sum(y * upstream)
        <case>.step<k>.y / .dx             its output and input gradient
        <case>.step<k>.grad.<key>          the gradient of every parameter (zeroed before the step)
        <case>.step<k>.state.<key>         every buffer after the step (running statistics)
        <case>.eval.x / .eval.y            an eval forward after the train steps
        cnn.x / cnn.labels / cnn.loss      the SGD run: its batch and the loss of each step
        resnet.x / resnet.logits           eval logits of the residual network as saved
Tensors keep PyTorch's shapes ((N, C, H, W) for images), so the test checks them against its types.
Inputs, upstream gradients and loaded weights are float32 values; PyTorch computes in float64 on them,
so the reference carries no float32 rounding of its own and the C++ test can hold its float network to
float tolerances and its double network to double ones.
"""
import copy
import json
import pathlib
import struct
import sys

import numpy as np
import torch

nn = torch.nn
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


def float32_values(rng, shape, low=-2.0, high=2.0):
    return torch.from_numpy(rng.uniform(low, high, shape).astype(np.float32).astype(np.float64))


def randomize(model, rng):
    """Float32-valued parameters away from PyTorch's initial values (BatchNorm's γ = 1, β = 0 would hide
    their gradients' and the affine transform's mistakes)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1:  # convolution and linear weights: PyTorch's U[-1/√fan_in, 1/√fan_in]
                bound = 1.0 / np.sqrt(p[0].numel())
                p.copy_(float32_values(rng, p.shape, -bound, bound))
            elif name.endswith("weight"):  # BatchNorm's γ
                p.copy_(float32_values(rng, p.shape, 0.5, 1.5))
            else:
                p.copy_(float32_values(rng, p.shape, -1.0, 1.0))


def record_train_step(data, prefix, model, x, rng):
    """One train-mode forward/backward of sum(y * upstream) in float64, no parameter update."""
    model.train()
    model.zero_grad()
    xt = x.clone().requires_grad_(True)
    y = model(xt)
    upstream = float32_values(rng, y.shape)
    (y * upstream).sum().backward()
    data[prefix + ".x"] = x.float()  # float32 values: stored as such, exactly
    data[prefix + ".upstream"] = upstream.float()
    data[prefix + ".y"] = y.detach()
    data[prefix + ".dx"] = xt.grad
    for name, p in model.named_parameters():
        data[f"{prefix}.grad.{name}"] = p.grad.clone()
    for name, b in model.named_buffers():
        data[f"{prefix}.state.{name}"] = b.clone()


def record_eval(data, prefix, model, x):
    model.eval()
    with torch.no_grad():
        data[prefix + ".x"] = x.float()
        data[prefix + ".y"] = model(x)


def layer_case(data, out, name, model, input_shape, seed, train_steps=1, warm_up=0):
    """A model of float32 parameters: its file, then train steps (and an eval step if it has buffers)
    replayed in float64. `warm_up` train forwards first move the running statistics off (0, 1)."""
    rng = np.random.default_rng(seed)
    randomize(model, rng)
    model.train()
    with torch.no_grad():
        for _ in range(warm_up):
            model(float32_values(rng, input_shape, -1.0, 3.0).float())
    save_file(model.state_dict(), out / f"torch_conv_{name}.safetensors")
    model = model.double()
    for k in range(1, train_steps + 1):
        record_train_step(data, f"{name}.step{k}", model, float32_values(rng, input_shape, -1.0, 3.0), rng)
    if list(model.buffers()):
        record_eval(data, f"{name}.eval", model, float32_values(rng, input_shape, -1.0, 3.0))


def check_no_near_ties(model, x, margin):
    """The CNN's ReLU inputs and max-pooling windows keep a margin, so float rounding in typenet cannot
    flip a kink (which would make a difference far above the tolerance for a reason that is no bug)."""
    h = x
    for m in model:
        if isinstance(m, nn.ReLU):
            assert h.abs().min().item() > margin, f"a ReLU input within {margin} of 0"
        if isinstance(m, nn.MaxPool2d):
            n, c, hh, ww = h.shape
            w = h.reshape(n, c, hh // 2, 2, ww // 2, 2).permute(0, 1, 2, 4, 3, 5).reshape(n, c, hh // 2, ww // 2, 4)
            top = w.sort(dim=-1, descending=True).values
            gap = top[..., 0] - top[..., 1]
            # After a ReLU, windows of zeros tie harmlessly: every one of them has gradient 0.
            assert gap[top[..., 0] > 0].min().item() > margin, f"a max-pooling window tie within {margin}"
        h = m(h)


def cnn_case(data, out, seed=18, steps=5, lr=0.05):  # seed: the first from 11 whose kinks keep a margin
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(),
                          nn.Linear(8 * 4 * 4, 10))
    save_file(model.state_dict(), out / "torch_conv_cnn.safetensors")  # PyTorch's own initialization
    model = model.double()
    rng = np.random.default_rng(seed)
    x = float32_values(rng, (6, 1, 8, 8), -1.0, 1.0)
    labels = torch.from_numpy(rng.integers(0, 10, 6))
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    for _ in range(steps):
        model.train()
        with torch.no_grad():  # on a copy: a train forward moves the running statistics
            check_no_near_ties(copy.deepcopy(model), x, 1e-4)
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    save_file(model.state_dict(), out / "torch_conv_cnn_trained.safetensors")
    data["cnn.x"] = x.float()
    data["cnn.labels"] = labels
    data["cnn.loss"] = torch.tensor(losses, dtype=torch.float64)


class Block(nn.Module):
    """y = body(x) + shortcut(x): state_dict keys "<i>.body.<j>.*" and "<i>.shortcut.<j>.*"."""

    def __init__(self, body, shortcut=None):
        super().__init__()
        self.body = body
        if shortcut is not None:
            self.shortcut = shortcut

    def forward(self, x):
        return self.body(x) + (self.shortcut(x) if hasattr(self, "shortcut") else x)


def resnet_case(data, out, seed=12, steps=3):
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),
        Block(nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                            nn.Conv2d(4, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4))),
        nn.ReLU(),
        Block(nn.Sequential(nn.Conv2d(4, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                            nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)),
              nn.Sequential(nn.Conv2d(4, 8, 1, stride=2, bias=False), nn.BatchNorm2d(8))),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5))
    rng = np.random.default_rng(seed)
    x = float32_values(rng, (8, 2, 8, 8), -1.0, 1.0).float()
    labels = torch.from_numpy(rng.integers(0, 5, 8))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(steps):  # in float32, as a user trains; moves the running statistics off (0, 1)
        model.train()
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), labels).backward()
        opt.step()
    save_file(model.state_dict(), out / "torch_conv_resnet.safetensors")
    model = model.double()
    test_x = float32_values(rng, (5, 2, 8, 8), -1.0, 1.0)
    model.eval()
    with torch.no_grad():
        data["resnet.x"] = test_x.float()
        data["resnet.logits"] = model(test_x)
    # And one train step from the saved state, through both kinds of block.
    record_train_step(data, "resnet.step1", model, float32_values(rng, (4, 2, 8, 8), -1.0, 1.0), rng)


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent / "data")
    data = {}
    # name, module, input (N, C, H, W); the seed is the position. The C++ test names the same geometry as types.
    conv_cases = [
        ("conv_3x3_odd", nn.Conv2d(3, 4, 3), (2, 3, 7, 5)),
        ("conv_stride2_pad1", nn.Conv2d(3, 5, 3, stride=2, padding=1), (2, 3, 9, 6)),
        ("conv_dilation2", nn.Conv2d(2, 3, 3, padding=2, dilation=2), (2, 2, 8, 7)),
        ("conv_groups2", nn.Conv2d(4, 6, 3, padding=1, groups=2), (2, 4, 6, 5)),
        ("conv_depthwise", nn.Conv2d(4, 4, 3, padding=1, groups=4), (2, 4, 6, 6)),
        ("conv_depthwise_x2", nn.Conv2d(3, 6, 3, stride=2, groups=3), (2, 3, 7, 7)),
        ("conv_5x5_nobias", nn.Conv2d(3, 4, 5, padding=2, bias=False), (2, 3, 7, 6)),
        ("conv_1x1", nn.Conv2d(5, 3, 1), (3, 5, 4, 3)),
        ("conv_2x2_stride2", nn.Conv2d(3, 4, 2, stride=2), (2, 3, 6, 8)),
        ("conv_all_options", nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, bias=False), (2, 4, 9, 9)),
        ("conv_wide", nn.Conv2d(8, 16, 3, padding=1), (3, 8, 6, 6)),
    ]
    for seed, (name, module, shape) in enumerate(conv_cases, start=1):
        layer_case(data, out, name, nn.Sequential(module), shape, seed)
    layer_case(data, out, "bn2d", nn.Sequential(nn.BatchNorm2d(3, momentum=0.2, eps=1e-3)), (4, 3, 5, 4), seed=20,
               train_steps=2, warm_up=2)
    layer_case(data, out, "conv_bn", nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4)),
               (3, 3, 6, 5), seed=21, train_steps=2, warm_up=1)
    cnn_case(data, out)
    resnet_case(data, out)
    save_file(data, out / "torch_conv_reference.safetensors")


if __name__ == "__main__":
    main()
