//! Predicted files -> one zip archive (the page's "Download all" for a multi-record FASTA).
//!
//! Written with the `zip` crate, deflate through flate2's pure-Rust back end (miniz_oxide), so
//! the same code runs natively and in wasm. Names are checked first: an archive never holds two
//! entries of one name, a folder path or a name a file system would refuse.

use std::io::{Cursor, Write};

use serde::Deserialize;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// One file of the archive.
#[derive(Debug, Clone, Deserialize)]
pub struct ArchiveFile {
    /// File name inside the archive (no folders).
    pub name: String,
    /// The file's text (PDB or mmCIF).
    pub text: String,
}

/// Local time stamp of the archive's entries: (year, month, day, hour, minute, second).
pub type Stamp = (u16, u8, u8, u8, u8, u8);

/// Why `name` cannot be an entry's name, if it cannot.
fn bad_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name.contains(['/', '\\']) {
        Some("it holds a folder separator")
    } else if name == "." || name == ".." {
        Some("it names a folder")
    } else if name.chars().any(char::is_control) {
        Some("it holds a control character")
    } else {
        None
    }
}

/// The zip archive of `files`, deflated, in the given order, each entry dated `stamp` (none or
/// invalid: 1980-01-01, the format's earliest date). Errors name the offending file.
pub fn zip_archive(files: &[ArchiveFile], stamp: Option<Stamp>) -> Result<Vec<u8>, String> {
    if files.is_empty() {
        return Err("the archive would be empty: no files were given".into());
    }
    let mut seen = std::collections::HashSet::new();
    for (i, f) in files.iter().enumerate() {
        if let Some(why) = bad_name(&f.name) {
            return Err(format!("file {} of the archive: the name {:?} cannot be used ({why})", i + 1, f.name));
        }
        if !seen.insert(f.name.as_str()) {
            return Err(format!("file {} of the archive: the name '{}' is used twice", i + 1, f.name));
        }
    }
    let time = stamp
        .and_then(|(y, mo, d, h, mi, s)| DateTime::from_date_and_time(y, mo, d, h, mi, s).ok())
        .unwrap_or_default();
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated).last_modified_time(time);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for f in files {
        zip.start_file(f.name.as_str(), options).map_err(|e| format!("archive entry '{}': {e}", f.name))?;
        zip.write_all(f.text.as_bytes()).map_err(|e| format!("archive entry '{}': {e}", f.name))?;
    }
    let cursor = zip.finish().map_err(|e| format!("finishing the archive: {e}"))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn file(name: &str, text: &str) -> ArchiveFile {
        ArchiveFile { name: name.into(), text: text.into() }
    }

    #[test]
    fn files_read_back_in_order_with_their_text() {
        let long = "ATOM      1  N   MET A   1      11.104   6.134  -6.504  1.00 35.21           N\n".repeat(200);
        let files = [file("a.pdb", &long), file("a.cif", "data_a\n"), file("b.pdb", "END\n")];
        let bytes = zip_archive(&files, Some((2026, 11, 29, 8, 30, 10))).unwrap();
        assert!(bytes.len() < long.len() / 4, "deflated: {} bytes for {}", bytes.len(), long.len());
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(zip.len(), 3);
        for (i, f) in files.iter().enumerate() {
            let mut entry = zip.by_index(i).unwrap();
            assert_eq!(entry.name().unwrap(), f.name);
            assert_eq!(entry.compression(), CompressionMethod::Deflated);
            let t = entry.last_modified().unwrap();
            assert_eq!((t.year(), t.month(), t.day(), t.hour(), t.minute()), (2026, 11, 29, 8, 30));
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            assert_eq!(text, f.text);
        }
    }

    #[test]
    fn bad_names_and_empty_lists_are_refused_with_the_file_named() {
        let e = zip_archive(&[], None).unwrap_err();
        assert!(e.contains("empty"), "{e}");
        let e = zip_archive(&[file("a.pdb", "x"), file("a.pdb", "y")], None).unwrap_err();
        assert!(e.contains("file 2") && e.contains("'a.pdb'") && e.contains("twice"), "{e}");
        for (name, why) in [("", "empty"), ("../x.pdb", "folder"), ("x\\y.pdb", "folder"), ("..", "folder"), ("a\nb", "control")] {
            let e = zip_archive(&[file("ok.pdb", "x"), file(name, "y")], None).unwrap_err();
            assert!(e.contains("file 2") && e.contains(why), "{name:?}: {e}");
        }
    }
}
