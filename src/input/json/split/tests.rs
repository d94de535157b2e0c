//! Tests of the splitter as a whole: the units it cuts and their skeletons, the shapes and
//! warnings it notes, and where it stops, the same whatever the size of the blocks read.

use super::*;

/// What the scanner makes of `text`: the unit texts (with their skeletons) and, when
/// it stopped, the skeleton and the bytes it left.
#[derive(Debug, Default, PartialEq)]
struct Split {
    units: Vec<(String, String)>,
    saw: Vec<Shape>,
    warnings: usize,
    stop: Option<(String, String)>,
}

fn split(text: &str, block_size: usize) -> Split {
    split_with(text, block_size, UNIT_LIMIT)
}

fn split_with(text: &str, block_size: usize, unit_limit: usize) -> Split {
    let mut reader = text.as_bytes();
    let mut splitter = Splitter::new(&mut reader, block_size, unit_limit);
    let mut result = Split::default();
    let mut consumed = 0;
    while let Some(batch) = splitter.next().expect("reads") {
        assert!(!batch.bytes.is_empty(), "batches hold bytes");
        assert_eq!(
            batch.bytes,
            &text.as_bytes()[consumed..consumed + batch.bytes.len()],
            "batches are the input, in order"
        );
        consumed += batch.bytes.len();
        for piece in &batch.pieces {
            match piece {
                Piece::Unit {
                    start,
                    end,
                    context,
                    first,
                } => {
                    let unit = String::from_utf8_lossy(&batch.bytes[*start..*end]);
                    let (skeleton, _) = batch.contexts[*context].skeleton(*first);
                    let skeleton = String::from_utf8_lossy(&skeleton);
                    result
                        .units
                        .push((unit.into_owned(), skeleton.into_owned()));
                }
                Piece::Saw(shape) => result.saw.push(*shape),
                Piece::Partial(_) => result.warnings += 1,
            }
        }
    }
    let rest = splitter.into_rest();
    if let Some(resync) = rest.resync {
        let mut left = rest.bytes;
        rest.reader.read_to_end(&mut left).expect("reads");
        assert_eq!(
            left,
            &text.as_bytes()[consumed..],
            "what is left follows the batches"
        );
        // Where whitespace falls depends on the blocks; it does not matter to serde.
        result.stop = Some((
            String::from_utf8_lossy(&resync.skeleton).into_owned(),
            String::from_utf8_lossy(left.trim_ascii_start()).into_owned(),
        ));
    } else {
        assert_eq!(consumed, text.len(), "all of the input is in batches");
    }
    result
}

fn units(text: &str) -> Vec<String> {
    let whole = split(text, 1 << 20);
    for block_size in [1, 2, 3, 7, 64] {
        assert_eq!(split(text, block_size), whole, "blocks of {block_size}");
    }
    whole.units.into_iter().map(|(unit, _)| unit).collect()
}

#[test]
fn strings_hide_brackets_braces_quotes_and_backslashes() {
    let text = r#"[{"a":"x]}[{"},{"b":"a\\\"]}","c":"\\"},"]\\",{"d":"\u005d\"\u0022"}]"#;
    assert_eq!(
        units(text),
        [
            r#"{"a":"x]}[{"}"#,
            r#"{"b":"a\\\"]}","c":"\\"}"#,
            r#""]\\""#,
            r#"{"d":"\u005d\"\u0022"}"#
        ]
    );
}

#[test]
fn nested_arrays_and_objects_stay_inside_their_record() {
    let text = "[ {\"a\":[[1,2],{\"b\":[]}],\"c\":{}} ,\n\t[3,[4]] , 5 , -6.5e3,true,null ]";
    assert_eq!(
        units(text),
        [
            "{\"a\":[[1,2],{\"b\":[]}],\"c\":{}}",
            "[3,[4]]",
            "5",
            "-6.5e3",
            "true",
            "null"
        ]
    );
}

#[test]
fn several_documents_with_whitespace_between_are_all_read() {
    let text = " {\"records\":[{\"r\":1},\n{\"r\":2}]}\n\n[{\"r\":3}]{\"time\":\"t\"}\r\n{\"Records\" : [ ] , \"x\":[1]}  ";
    let whole = split(text, 1 << 20);
    assert_eq!(
        whole.units,
        [
            (
                "{\"r\":1}".into(),
                "{\"records\":[]".to_string() + ",\"records\":["
            ),
            ("{\"r\":2}".into(), "{\"records\":[],\"records\":[0,".into()),
            ("{\"r\":3}".into(), "[".into()),
            ("{\"time\":\"t\"}".into(), String::new()),
        ]
    );
    assert_eq!(
        whole.saw,
        [Shape::Records, Shape::JsonArray, Shape::Records]
    );
    assert_eq!(whole.stop, None);
    for block_size in [1, 5, 16] {
        assert_eq!(split(text, block_size), whole, "blocks of {block_size}");
    }
}

#[test]
fn table_rows_come_with_their_columns() {
    let text = r#"{"tables":[{"name":"A","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"X"}],"rows":[["t",1],["u",[2]]]},{"columns":[],"rows":[[]]}],"error":{"code":"PartialError"}}"#;
    let whole = split(text, 1 << 20);
    let columns = r#"[{"name":"TimeGenerated"},{"name":"X"}]"#;
    assert_eq!(
        whole.units,
        [
            (
                r#"["t",1]"#.into(),
                format!(r#"{{"records":[],"tables":[{{"columns":{columns},"rows":["#)
            ),
            (
                r#"["u",[2]]"#.into(),
                format!(r#"{{"records":[],"tables":[{{"columns":{columns},"rows":[0,"#)
            ),
            (
                "[]".into(),
                r#"{"records":[],"tables":[{},{"columns":[],"rows":["#.into()
            ),
        ]
    );
    assert_eq!(whole.warnings, 1);
    for block_size in [1, 9, 40] {
        assert_eq!(split(text, block_size), whole, "blocks of {block_size}");
    }
}

#[test]
fn a_document_cut_off_inside_a_string_stops_at_the_last_known_point() {
    let text = "[{\"a\":1},\n{\"b\":\"x]";
    for block_size in [1, 4, 100] {
        let result = split(text, block_size);
        assert_eq!(result.units.len(), 1, "blocks of {block_size}");
        assert_eq!(
            result.stop,
            Some(("[0,".into(), "{\"b\":\"x]".into())),
            "blocks of {block_size}"
        );
    }
}

#[test]
fn what_the_scanner_does_not_vouch_for_is_left_to_serde() {
    let cases = [
        // Missing comma between elements.
        ("[{\"a\":1} {\"b\":2}]", "[0 ", "{\"b\":2}]"),
        // Trailing comma.
        ("[{\"a\":1},]", "[0,", "]"),
        // A scalar document.
        ("[] 5", "", "5"),
        // Rows before columns.
        (
            "{\"tables\":[{\"rows\":[[1]],\"columns\":[]}]}",
            "{\"records\":[],\"tables\":[{",
            "\"rows\":[[1]],\"columns\":[]}]}",
        ),
        // `records` not an array.
        ("{\"records\":5}", "", "{\"records\":5}"),
        // A member before the wrapper key that serde would refuse.
        (
            "{\"a\":tru,\"records\":[]}",
            "",
            "{\"a\":tru,\"records\":[]}",
        ),
        // Nothing at all.
        (" \n ", "", ""),
        // A broken skipped member of a wrapper.
        (
            "{\"records\":[],\"x\":[1,}",
            "{\"records\":[],",
            "\"x\":[1,}",
        ),
    ];
    for (text, skeleton, left) in cases {
        for block_size in [1, 3, 100] {
            let result = split(text, block_size);
            assert_eq!(
                result.stop,
                Some((skeleton.to_string(), left.to_string())),
                "{text} in blocks of {block_size}"
            );
        }
    }
}

#[test]
fn elements_too_deep_or_too_large_are_left_to_serde() {
    let deep = format!("[1,{}{}]", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    let result = split(&deep, 8);
    assert_eq!(result.units.len(), 1);
    assert_eq!(
        result.stop.map(|(skeleton, _)| skeleton),
        Some("[0,".into())
    );
    let result = split_with("[\"a\",\"bcdefghijklmnop\"]", 4, 8);
    assert_eq!(result.units.len(), 1);
    assert_eq!(
        result.stop,
        Some(("[0,".into(), "\"bcdefghijklmnop\"]".into()))
    );
}
