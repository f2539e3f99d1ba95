"""The one way files are written whole or not at all (crosswalk.files): files, files a library writes, folders."""

from __future__ import annotations

import stat

import numpy as np
import pytest

from crosswalk.files import atomic_dir, atomic_path, atomic_write, move_into_place, temp_dir, temp_path


def names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_an_error_inside_the_block_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = atomic_write(tmp_path / "a.json", "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "old" and names(tmp_path) == ["a.json"]


def test_written_files_are_readable_by_the_workspace_s_other_users(tmp_path):
    mode = stat.S_IMODE(atomic_write(tmp_path / "b.txt", b"bytes").stat().st_mode)
    assert mode == 0o644


def test_a_library_that_adds_its_own_extension_writes_the_temporary_file_itself(tmp_path):
    target = tmp_path / "embeddings.npy"
    with atomic_path(target, suffix=".npy") as tmp:
        np.save(tmp, np.eye(2, dtype=np.float32), allow_pickle=False)  # np.save adds .npy to a name without it
    assert np.load(target).tolist() == [[1.0, 0.0], [0.0, 1.0]] and names(tmp_path) == ["embeddings.npy"]


def test_a_temporary_file_not_moved_into_place_is_removed(tmp_path):
    with temp_path(tmp_path, prefix=".partial-") as tmp:
        tmp.write_bytes(b"abandoned")
        assert tmp.name.startswith(".partial-")
    assert names(tmp_path) == []
    with temp_path(tmp_path / "new", prefix=".partial-") as tmp:
        tmp.write_bytes(b"kept")
        move_into_place(tmp, tmp_path / "new" / "doc.pdf")
    assert names(tmp_path / "new") == ["doc.pdf"]


def test_a_folder_replaces_the_old_one_whole_or_not_at_all(tmp_path):
    target = tmp_path / "bm25"
    with atomic_dir(target) as tmp:
        (tmp / "old.json").write_text("1")
    with atomic_dir(target) as tmp:
        (tmp / "new.json").write_text("2")
    assert names(target) == ["new.json"]
    with pytest.raises(RuntimeError):
        with atomic_dir(target) as tmp:
            (tmp / "half.json").write_text("3")
            raise RuntimeError("killed")
    assert names(target) == ["new.json"] and names(tmp_path) == ["bm25"]


def test_a_work_folder_is_removed_with_its_contents(tmp_path):
    with temp_dir(tmp_path, prefix=".build-") as work:
        (work / "fp32.onnx").write_bytes(b"x")
    assert names(tmp_path) == []
