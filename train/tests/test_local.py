"""The local-structure network (docs/LOCAL.md): labels, shapes, padding, a training step, the
export, and scripts/build_local_data.py's dihedrals and burial."""
import importlib.util
import os

import numpy as np
import torch

from webfold_train.local import data, evaluate, export, model, train

REPO = os.path.join(os.path.dirname(__file__), "..", "..")


def load_build_script():
    spec = importlib.util.spec_from_file_location(
        "build_local_data", os.path.join(REPO, "scripts", "build_local_data.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # promod3 is imported only inside main()
    return mod


def place(a, b, c, bond, angle, torsion):
    """NeRF: the atom after a, b, c at `bond` from c, angle b-c-d, dihedral a-b-c-d (degrees)."""
    angle, torsion = np.radians(angle), np.radians(torsion)
    bc = (c - b) / np.linalg.norm(c - b)
    n = np.cross(b - a, bc)
    n /= np.linalg.norm(n)
    m = np.cross(n, bc)
    d2 = np.array([-bond * np.cos(angle), bond * np.sin(angle) * np.cos(torsion),
                   bond * np.sin(angle) * np.sin(torsion)])
    return c + d2[0] * bc + d2[1] * m + d2[2] * n


def backbone(phi, psi, L):
    """Chain of L residues with the given phi/psi (omega 180), ideal bonds and angles."""
    atoms = [np.array([0.0, 1.46, 0.0]), np.zeros(3), np.array([1.52, 0.0, 0.0])]  # N, CA, C
    for _ in range(L - 1):
        n, ca, c = atoms[-3:]
        atoms.append(place(n, ca, c, 1.33, 116.2, psi))
        atoms.append(place(ca, c, atoms[-1], 1.46, 121.7, 180.0))
        atoms.append(place(c, atoms[-2], atoms[-1], 1.52, 111.2, phi))
    return np.array(atoms).reshape(L, 3, 3).astype(np.float32)


def test_dihedrals_and_burial_of_built_chains():
    b = load_build_script()
    for phi0, psi0 in ((-57.0, -47.0), (-120.0, 130.0), (60.0, 40.0)):
        phi, psi = b.phi_psi(backbone(phi0, psi0, 12))
        assert np.isnan(phi[0]) and np.isnan(psi[-1])
        assert np.allclose(phi[1:], phi0, atol=0.05) and np.allclose(psi[:-1], psi0, atol=0.05)
    # a helix is compact (each CB has neighbours within 10 A), a strand is extended
    helix = b.burial(backbone(-57.0, -47.0, 30))
    strand = b.burial(backbone(-120.0, 130.0, 30))
    assert helix[15] > strand[15] and strand[15] <= 6 and helix[15] >= 8
    assert (helix[0] < helix[15]) and (helix >= 0).all()


def test_label_definitions():
    a10 = np.array([-1800, -1701, -1700, -1, 0, 1799, 1800, -32768], dtype=np.int16)
    assert data.angle_bin(a10).tolist() == [0, 0, 1, 17, 18, 35, 0, data.IGNORE]
    assert data.burial_bin(np.array([0, 10, 11, 14, 15, 22, 23, 200])).tolist() == [0, 0, 1, 1, 2, 3, 4, 4]
    ss8 = np.frombuffer(b"HGIEBTSC", dtype=np.uint8)
    assert [model.SS3[model.SS8_TO_SS3[data._SS8[c]]] for c in ss8] == list("HHHEECCC")
    assert data.tokenize("ARNDCQEGHILKMFPSTWYVXB").tolist() == list(range(21)) + [20]


def test_shapes_and_padding_gives_each_chain_what_it_gets_alone():
    torch.manual_seed(0)
    net = model.LocalNet(model.LocalConfig(channels=16, dilations=[1, 4])).eval()
    a, b = torch.randint(0, 21, (7,)), torch.randint(0, 21, (30,))
    tokens, mask, _ = data.collate([(a.numpy(), {}), (b.numpy(), {})])
    out = net(tokens, mask)
    for k, n in model.HEADS.items():
        assert out[k].shape == (2, 30, n)
    alone = net(a[None])
    for k in model.HEADS:
        assert torch.allclose(out[k][0, :7], alone[k][0], atol=1e-5), k


def test_training_steps_lower_the_loss_on_a_tiny_batch():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    chains = []
    for k in range(4):
        L = 20 + 7 * k
        ss8 = rng.integers(0, 8, L)
        labels = {"ss8": ss8, "ss3": np.asarray(model.SS8_TO_SS3)[ss8], "phi": rng.integers(0, 36, L),
                  "psi": rng.integers(0, 36, L), "burial": rng.integers(0, 5, L)}
        labels["phi"][0] = data.IGNORE
        chains.append(data.LocalChain(f"c{k}", rng.integers(0, 20, L), labels))
    tokens, mask, labels = data.random_batch(chains, rng, 4, 32)
    net = model.LocalNet(model.LocalConfig(channels=16, dilations=[1, 2]))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    first, _ = train.loss_fn(net(tokens, mask), labels)
    for _ in range(30):
        loss, _ = train.loss_fn(net(tokens, mask), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    last, terms = train.loss_fn(net(tokens, mask), labels)
    assert last.item() < 0.8 * first.item(), (first.item(), last.item())
    assert set(terms) == set(model.HEADS)
    acc = train.evaluate(net, chains)
    assert 0.0 <= acc["acc_ss3"] <= 1.0 and acc["residues"] == sum(len(c.tokens) for c in chains)


def test_export_round_trip(tmp_path):
    torch.manual_seed(1)
    cfg = model.LocalConfig(channels=8, dilations=[1, 3])
    net = model.LocalNet(cfg).eval()
    path = str(tmp_path / "local.safetensors")
    n = export.export_weights(net, cfg, path, step=5)
    assert n == model.n_params(net)
    back, cfg2 = evaluate.load_exported(path)
    assert cfg2 == cfg
    tok = torch.randint(0, 21, (1, 25))
    for k in model.HEADS:
        assert torch.equal(back(tok)[k], net(tok)[k])
    export.export_fixtures(net, str(tmp_path / "fx.safetensors"))
