#!/usr/bin/python3
"""PyTorch CPU peer of VaeBench: the Flux VAE (diffusers AutoencoderKL) written in plain torch.nn from the fixture
README (diffusers is not installable next to Debian's torch 1.13), random weights of the real config, fp32.

usage: vae_peer.py CONFIG_JSON decode|encode SIDE_PX [TILE_PX|0] [THREADS]
An untiled pass at a quarter of the side warms up first; prints seconds of the timed pass and peak RSS (ru_maxrss).
Attention: torch 1.13 has no fused scaled_dot_product_attention, so like diffusers' attention processor on that
torch it forms the [HW, HW] score matrix (1 GiB at 128x128 latents)."""
import json, resource, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

EPS = 1e-6


class Resnet(nn.Module):
    def __init__(self, cin, cout, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=EPS)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups, cout, eps=EPS)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.conv_shortcut is None else self.conv_shortcut(x)) + h


class Attention(nn.Module):
    def __init__(self, c, groups):
        super().__init__()
        self.group_norm = nn.GroupNorm(groups, c, eps=EPS)
        self.to_q, self.to_k, self.to_v, self.to_out = (nn.Linear(c, c) for _ in range(4))

    def forward(self, x):
        b, c, h, w = x.shape
        t = self.group_norm(x).view(b, c, h * w).transpose(1, 2)
        q, k, v = self.to_q(t), self.to_k(t), self.to_v(t)
        scores = torch.baddbmm(torch.empty(b, h * w, h * w), q, k.transpose(1, 2), beta=0, alpha=c ** -0.5)
        o = self.to_out(torch.bmm(scores.softmax(-1), v))
        return o.transpose(1, 2).reshape(b, c, h, w) + x


class Mid(nn.Module):
    def __init__(self, c, groups):
        super().__init__()
        self.r0, self.attn, self.r1 = Resnet(c, c, groups), Attention(c, groups), Resnet(c, c, groups)

    def forward(self, x):
        return self.r1(self.attn(self.r0(x)))


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, g, n = cfg["block_out_channels"], cfg["norm_num_groups"], cfg["layers_per_block"]
        self.conv_in = nn.Conv2d(cfg["in_channels"], ch[0], 3, padding=1)
        self.blocks, self.samplers = nn.ModuleList(), nn.ModuleList()
        for i, c in enumerate(ch):
            cin = ch[max(0, i - 1)]
            self.blocks.append(nn.ModuleList([Resnet(cin if j == 0 else c, c, g) for j in range(n)]))
            self.samplers.append(nn.Conv2d(c, c, 3, stride=2) if i < len(ch) - 1 else nn.Identity())
        self.mid = Mid(ch[-1], g)
        self.norm_out = nn.GroupNorm(g, ch[-1], eps=EPS)
        self.conv_out = nn.Conv2d(ch[-1], 2 * cfg["latent_channels"], 3, padding=1)

    def forward(self, x):
        h = self.conv_in(x)
        for blk, down in zip(self.blocks, self.samplers):
            for r in blk:
                h = r(h)
            if not isinstance(down, nn.Identity):
                h = down(F.pad(h, (0, 1, 0, 1)))
        return self.conv_out(F.silu(self.norm_out(self.mid(h))))


class Decoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        ch, g, n = list(reversed(cfg["block_out_channels"])), cfg["norm_num_groups"], cfg["layers_per_block"] + 1
        self.conv_in = nn.Conv2d(cfg["latent_channels"], ch[0], 3, padding=1)
        self.mid = Mid(ch[0], g)
        self.blocks, self.samplers = nn.ModuleList(), nn.ModuleList()
        cin = ch[0]
        for i, c in enumerate(ch):
            self.blocks.append(nn.ModuleList([Resnet(cin if j == 0 else c, c, g) for j in range(n)]))
            self.samplers.append(nn.Conv2d(c, c, 3, padding=1) if i < len(ch) - 1 else nn.Identity())
            cin = c
        self.norm_out = nn.GroupNorm(g, ch[-1], eps=EPS)
        self.conv_out = nn.Conv2d(ch[-1], cfg["out_channels"], 3, padding=1)

    def forward(self, z):
        h = self.mid(self.conv_in(z))
        for blk, up in zip(self.blocks, self.samplers):
            for r in blk:
                h = r(h)
            if not isinstance(up, nn.Identity):
                h = up(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(h)))


def tiled(net, x, in_tile, in_stride, blend, keep):
    """diffusers' tiled_encode / tiled_decode: overlapping tiles, linear cross-fade of rows then columns."""
    rows, above = [], None
    for y in range(0, x.shape[2], in_stride):
        row = []
        for j, xx in enumerate(range(0, x.shape[3], in_stride)):
            t = net(x[:, :, y:y + in_tile, xx:xx + in_tile])
            if above is not None:
                e = min(above[j].shape[2], t.shape[2], blend)
                for k in range(e):
                    t[:, :, k] = above[j][:, :, -e + k] * (1 - k / e) + t[:, :, k] * (k / e)
            if j > 0:
                e = min(row[j - 1].shape[3], t.shape[3], blend)
                for k in range(e):
                    t[:, :, :, k] = row[j - 1][:, :, :, -e + k] * (1 - k / e) + t[:, :, :, k] * (k / e)
            row.append(t)
        rows.append(torch.cat([t[:, :, :keep, :keep] for t in row], dim=3))
        above = row
    return torch.cat(rows, dim=2)


def run(cfg, enc, dec, mode, side, tile):
    f = 2 ** (len(cfg["block_out_channels"]) - 1)
    g = torch.Generator().manual_seed(side)
    if mode == "decode":
        z = torch.randn(1, cfg["latent_channels"], side // f, side // f, generator=g)
        lt = tile // f
        if tile and side > tile:
            return tiled(dec, z, lt, int(lt * 0.75), int(tile * 0.25), tile - int(tile * 0.25))
        return dec(z)
    x = (torch.randn(1, cfg["in_channels"], side, side, generator=g) * 0.5).clamp(-1, 1)
    if tile and side > tile:
        lt = tile // f
        return tiled(enc, x, tile, int(tile * 0.75), int(lt * 0.25), lt - int(lt * 0.25))
    return enc(x)


def main():
    cfg = json.load(open(sys.argv[1]))
    mode, side = sys.argv[2], int(sys.argv[3])
    tile = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    torch.set_num_threads(int(sys.argv[5]) if len(sys.argv) > 5 else 2)
    torch.manual_seed(0)
    enc = Encoder(cfg).eval() if mode == "encode" else None
    dec = Decoder(cfg).eval() if mode == "decode" else None
    with torch.inference_mode():
        run(cfg, enc, dec, mode, side // 4, 0)
        t0 = time.perf_counter()
        y = run(cfg, enc, dec, mode, side, tile)
        seconds = time.perf_counter() - t0
    print(f"torch {mode} {side}x{side} tile={tile or 'none'} threads={torch.get_num_threads()} seconds={seconds:.2f} "
          f"peak_rss_mib={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} shape={tuple(y.shape)}")


if __name__ == "__main__":
    main()
