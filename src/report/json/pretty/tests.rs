//! The serializer held to serde_json's pretty output, value by value.

use super::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Both serializers give the same text, or both fail.
fn assert_as_serde_json<T: ?Sized + Serialize + fmt::Debug>(value: &T) {
    let mut out = Vec::new();
    let ours = write(&mut out, value, 0);
    match serde_json::to_string_pretty(value) {
        Ok(expected) => {
            ours.unwrap_or_else(|err| panic!("{value:?}: {err}"));
            assert_eq!(
                String::from_utf8(out).expect("UTF-8"),
                expected,
                "{value:?}"
            );
        }
        Err(err) => assert!(ours.is_err(), "{value:?}: serde_json fails with {err}"),
    }
}

#[derive(Debug, Serialize)]
enum Variants {
    Unit,
    Newtype(Option<u8>),
    Tuple(i32, String),
    EmptyTuple(),
    Struct {
        a: Vec<u8>,
        b: Option<Box<Variants>>,
    },
    EmptyStruct {},
}

#[derive(Debug, Serialize)]
struct Unit;

#[derive(Debug, Serialize)]
struct Newtype(&'static str);

#[derive(Debug, Serialize)]
struct Pair(u8, &'static str);

#[derive(Debug, Serialize)]
struct Fields {
    #[serde(rename = "odd \"key\"\n")]
    odd: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    absent: Option<u8>,
    list: Vec<Vec<u8>>,
    nested: Vec<Fields>,
}

/// Pairs written as a map, for keys a `BTreeMap` cannot hold.
#[derive(Debug)]
struct Pairs<K, V>(Vec<(K, V)>);

impl<K: Serialize, V: Serialize> Serialize for Pairs<K, V> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// Bytes written as bytes, not as a list of numbers.
#[derive(Debug)]
struct Bytes(&'static [u8]);

impl Serialize for Bytes {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

#[test]
fn scalars_are_written_as_serde_json_writes_them() {
    assert_as_serde_json(&true);
    assert_as_serde_json(&false);
    assert_as_serde_json(&());
    assert_as_serde_json(&None::<u8>);
    assert_as_serde_json(&Some(Some(3)));
    assert_as_serde_json(&'x');
    assert_as_serde_json(&'\u{2028}');
    assert_as_serde_json(&'"');
    assert_as_serde_json(&[i8::MIN, 0, i8::MAX]);
    assert_as_serde_json(&[i16::MIN, -1, i16::MAX]);
    assert_as_serde_json(&[i32::MIN, i32::MAX]);
    assert_as_serde_json(&[i64::MIN, i64::MAX]);
    assert_as_serde_json(&[i128::MIN, i128::MAX]);
    assert_as_serde_json(&[u8::MAX, u8::MIN]);
    assert_as_serde_json(&[u16::MAX]);
    assert_as_serde_json(&[u32::MAX]);
    assert_as_serde_json(&[u64::MAX, 0]);
    assert_as_serde_json(&[u128::MAX]);
    assert_as_serde_json(&[usize::MAX]);
    let doubles = [
        0.0,
        -0.0,
        1.0,
        -1.5,
        0.1,
        1.0 / 3.0,
        1e15,
        1e16,
        1e17,
        1e21,
        1e22,
        123_456_789.123,
        1e-7,
        0.000_001,
        1e300,
        5e-324,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        f64::EPSILON,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    assert_as_serde_json(&doubles);
    for double in doubles {
        assert_as_serde_json(&double);
    }
    let singles = [
        0.1f32,
        -0.0,
        1e-45,
        f32::MAX,
        16_777_217.0,
        f32::NAN,
        f32::INFINITY,
    ];
    assert_as_serde_json(&singles);
    assert_as_serde_json(&Bytes(b""));
    assert_as_serde_json(&Bytes(b"\x00\xff\n"));
    assert_as_serde_json(&Unit);
    assert_as_serde_json(&Newtype("\"quoted\""));
    assert_as_serde_json(&Pair(7, "\\"));
}

#[test]
fn lists_objects_and_variants_are_written_as_serde_json_writes_them() {
    assert_as_serde_json(&Vec::<u8>::new());
    assert_as_serde_json(&vec![Vec::<u8>::new(), vec![1], vec![]]);
    assert_as_serde_json(&((), (1,), ("a", 2.5, None::<u8>)));
    assert_as_serde_json(&BTreeMap::<String, u8>::new());
    assert_as_serde_json(&Variants::Unit);
    assert_as_serde_json(&Variants::Newtype(None));
    assert_as_serde_json(&Variants::Newtype(Some(1)));
    assert_as_serde_json(&Variants::Tuple(-1, "\u{1}".to_string()));
    assert_as_serde_json(&Variants::EmptyTuple());
    assert_as_serde_json(&Variants::EmptyStruct {});
    let nested = Variants::Struct {
        a: vec![],
        b: Some(Box::new(Variants::Struct {
            a: vec![1, 2],
            b: Some(Box::new(Variants::EmptyStruct {})),
        })),
    };
    assert_as_serde_json(&nested);
    assert_as_serde_json(&vec![nested, Variants::Unit, Variants::EmptyTuple()]);
    let leaf = Fields {
        odd: true,
        absent: None,
        list: vec![vec![], vec![1, 2]],
        nested: vec![],
    };
    let tree = Fields {
        odd: false,
        absent: Some(1),
        list: vec![],
        nested: vec![
            leaf,
            Fields {
                absent: Some(2),
                ..Fields::empty()
            },
        ],
    };
    assert_as_serde_json(&tree);
    assert_as_serde_json(&Some(vec![Some(BTreeMap::from([("k", vec![(); 2])]))]));
}

impl Fields {
    fn empty() -> Fields {
        Fields {
            odd: false,
            absent: None,
            list: vec![],
            nested: vec![],
        }
    }
}

#[test]
fn map_keys_are_written_or_refused_as_serde_json_does() {
    assert_as_serde_json(&BTreeMap::from([("b\n\"", 1), ("a", 2), ("", 3)]));
    assert_as_serde_json(&BTreeMap::from([(-1i64, "x"), (i64::MAX, "y")]));
    assert_as_serde_json(&BTreeMap::from([(u128::MAX, 'm'), (0, 'z')]));
    assert_as_serde_json(&BTreeMap::from([(i8::MIN, 1u8), (0, 2)]));
    assert_as_serde_json(&BTreeMap::from([(true, 1), (false, 0)]));
    assert_as_serde_json(&BTreeMap::from([('\u{0}', 1), ('é', 2)]));
    assert_as_serde_json(&BTreeMap::from([(Some("some"), 1)]));
    assert_as_serde_json(&Pairs(vec![(Variants::Unit, BTreeMap::from([(1, 2)]))]));
    assert_as_serde_json(&Pairs(vec![(1.5, 1), (-0.0, 2), (1e300, 3)]));
    assert_as_serde_json(&Pairs(vec![(0.1f32, "f32")]));
    assert_as_serde_json(&Pairs(vec![(f64::NAN, 1)]));
    assert_as_serde_json(&Pairs(vec![(f64::INFINITY, 1)]));
    assert_as_serde_json(&Pairs(vec![(None::<u8>, 1)]));
    assert_as_serde_json(&Pairs(vec![((), 1)]));
    assert_as_serde_json(&Pairs(vec![(Unit, 1)]));
    assert_as_serde_json(&Pairs(vec![(vec![1], 1)]));
    assert_as_serde_json(&Pairs(vec![((1, 2), 1)]));
    assert_as_serde_json(&Pairs(vec![(Pair(1, "a"), 1)]));
    assert_as_serde_json(&Pairs(vec![(Bytes(b"k"), 1)]));
    assert_as_serde_json(&Pairs(vec![(Variants::Newtype(None), 1)]));
    assert_as_serde_json(&Pairs(vec![(Variants::EmptyTuple(), 1)]));
    assert_as_serde_json(&Pairs(vec![(Variants::EmptyStruct {}, 1)]));
    assert_as_serde_json(&Pairs(vec![(BTreeMap::from([(1, 2)]), 1)]));
    assert_as_serde_json(&Pairs(vec![(Fields::empty(), 1)]));
    assert_as_serde_json(&Pairs(vec![(Newtype("newtype"), 1)]));
}

#[test]
fn a_value_deep_in_a_document_is_indented_as_there() {
    let value = serde_json::json!({ "a": [1, { "b": [] }], "c": {} });
    let mut nested = serde_json::json!(0);
    for _ in 0..20 {
        nested = serde_json::json!([{ "level": nested }]);
    }
    for value in [value, nested] {
        let whole =
            serde_json::to_string_pretty(&serde_json::json!([[value]])).expect("serializes");
        let mut out = b"[\n  [\n    ".to_vec();
        write(&mut out, &value, 2).expect("writes");
        out.extend_from_slice(b"\n  ]\n]");
        assert_eq!(String::from_utf8(out).expect("UTF-8"), whole);
    }
}

fn any_json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "(?s).{0,30}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            proptest::collection::btree_map("(?s).{0,12}", inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

    #[test]
    fn any_json_value_is_written_as_serde_json_writes_it(value in any_json()) {
        let mut out = Vec::new();
        write(&mut out, &value, 0).expect("writes");
        let expected = serde_json::to_string_pretty(&value).expect("serializes");
        proptest::prop_assert_eq!(String::from_utf8(out).expect("UTF-8"), expected);
    }
}
