//! One entry (a line, an array element) read into a [`LogEvent`], or refused.
//!
//! Two readers fill the same [`Obj`], the dozen values a log is read for, and one
//! function ([`read_obj`]) decides from it. The fast one ([`fast`]) deserializes the
//! text straight into an `Obj`, borrowing strings from it and skipping every other
//! field without building anything. The reference one ([`Obj::of_value`]) reads a
//! whole `serde_json::Value` first, as the first version of this module did.
//!
//! The fast reader gives up ([`Fallback`]) on anything it is not sure to read as the
//! reference does: any text serde_json refuses (not JSON, too deep, a number out of
//! range) and serde_json's private raw-value key, which `Value` treats specially.
//! Then the reference reader reads the entry, so what is accepted or refused, and
//! why, is the reference's by construction; `tests` checks that both give the same
//! `Obj` over many entries. Refusals cost two reads; valid logs, one that allocates
//! only the `LogEvent`'s own strings (and a string with escapes in it).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{LogEvent, Refusal, COUNTRY, LONG, MAX_LOG_ID_BYTES, MAX_TYPE_BYTES, SHORT, USER_AGENT};
use crate::clock;

/// The top-level string fields read, in the order their refusals are checked.
const FIELDS: [&str; 11] =
    ["log_id", "type", "date", "organization_id", "ip", "user_id", "user_name", "client_id", "connection", "hostname", "user_agent"];
const LOG_ID: usize = 0;
const TYPE: usize = 1;
const DATE: usize = 2;
const ORGANIZATION_ID: usize = 3;
/// The optional strings after `organization_id`, with their bounds.
const OPTIONAL: [(usize, usize); 7] = [(4, SHORT), (5, LONG), (6, LONG), (7, SHORT), (8, LONG), (9, LONG), (10, USER_AGENT)];

/// The key serde_json's `Value` reads as "the value is raw JSON text in a string"
/// (`serde_json::value::RawValue`'s private token): left to the reference reader.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// A field as far as reading a log cares: absent, `null`, a string, or anything else.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) enum Field<'a> {
    #[default]
    Absent,
    Null,
    Str(Cow<'a, str>),
    Other,
}

impl<'a> Field<'a> {
    fn of(value: Option<&'a Value>) -> Field<'a> {
        match value {
            None => Field::Absent,
            Some(Value::Null) => Field::Null,
            Some(Value::String(s)) => Field::Str(Cow::Borrowed(s)),
            Some(_) => Field::Other,
        }
    }

    fn is_absent_or_null(&self) -> bool {
        matches!(self, Field::Absent | Field::Null)
    }
}

/// What `details` says, read leniently (it is free-form): `organization.id`,
/// `body.organization.id` (a sign-up's, `ss`), and whether some
/// `prompts[].performed_amr` includes `mfa`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Details<'a> {
    organization_id: Option<Cow<'a, str>>,
    body_organization_id: Option<Cow<'a, str>>,
    mfa: bool,
}

/// What `location_info` says: `latitude` and `longitude` when numbers,
/// `country_code` when a string.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Location<'a> {
    latitude: Option<f64>,
    longitude: Option<f64>,
    country_code: Option<Cow<'a, str>>,
}

/// An object that may be a log or one of its envelopes: EventBridge's
/// `{ "detail": ... }` (read at the top only), the webhook's `{ "log_id", "data": ... }`
/// (at the top and in `detail`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Obj<'a> {
    fields: [Field<'a>; 11],
    details: Details<'a>,
    location: Location<'a>,
    detail: Option<Nested<'a>>,
    data: Option<Nested<'a>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Nested<'a> {
    Obj(Box<Obj<'a>>),
    NotObject,
}

/// How deep an object is among the envelopes: what of `detail` and `data` is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// The entry itself: `detail` and `data` are read.
    Top,
    /// EventBridge's `detail`: `data` is read.
    Detail,
    /// The webhook's `data`: neither.
    Data,
}

impl Level {
    fn reads_detail(self) -> bool {
        self == Level::Top
    }
    fn reads_data(self) -> bool {
        self != Level::Data
    }
}

// ---------------------------------------------------------------------------------------
// Deciding
// ---------------------------------------------------------------------------------------

/// Reads an entry's text (already within the length bound).
pub(super) fn read(text: &str) -> Result<LogEvent, Refusal> {
    let text = text.trim();
    match fast::read(text) {
        Ok(obj) => read_obj(&obj),
        Err(fast::Fallback) => read_reference(text),
    }
}

/// The reference reading: a whole `serde_json::Value` first.
pub(super) fn read_reference(text: &str) -> Result<LogEvent, Refusal> {
    let value: Value = serde_json::from_str(text).map_err(|_| ("not_json", "not a JSON value".to_string()))?;
    let Value::Object(outer) = value else {
        return Err(("not_an_object", "not a JSON object".to_string()));
    };
    read_obj(&Obj::of_value(&outer, Level::Top))
}

/// Whether the fast reading of an entry is the reference's (it is when it gives up):
/// the same `Obj` as the `Value` reading, the same answer. For the fuzz targets.
pub(super) fn readings_agree(text: &str) -> bool {
    let text = text.trim();
    let Ok(obj) = fast::read(text) else { return true };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => obj == Obj::of_value(&map, Level::Top) && read_obj(&obj) == read_reference(text),
        _ => false,
    }
}

/// The log inside its envelopes, then the log itself.
fn read_obj(outer: &Obj<'_>) -> Result<LogEvent, Refusal> {
    let (log, wrapper_id) = unwrap_log(outer)?;
    read_log(log, wrapper_id)
}

/// The log inside its envelopes: EventBridge's `detail`, then the custom
/// webhook's `{ log_id, data }`. A log object has `type`; its envelopes do not.
fn unwrap_log<'o, 'a>(outer: &'o Obj<'a>) -> Result<(&'o Obj<'a>, Option<&'o Field<'a>>), Refusal> {
    let has_type = |o: &Obj<'_>| !matches!(o.fields[TYPE], Field::Absent);
    let mut current = outer;
    if !has_type(current) {
        match &current.detail {
            Some(Nested::Obj(detail)) => current = detail,
            Some(Nested::NotObject) => return Err(("not_an_object", "`detail` is not an object".to_string())),
            None => {}
        }
    }
    if !has_type(current) {
        match &current.data {
            Some(Nested::Obj(log)) => return Ok((log, Some(&current.fields[LOG_ID]))),
            Some(Nested::NotObject) => return Err(("not_an_object", "`data` is not an object".to_string())),
            None => {}
        }
    }
    Ok((current, None))
}

fn read_log(log: &Obj<'_>, wrapper_id: Option<&Field<'_>>) -> Result<LogEvent, Refusal> {
    let own_id = &log.fields[LOG_ID];
    let id = match wrapper_id {
        Some(wrapper) if own_id.is_absent_or_null() && !wrapper.is_absent_or_null() => wrapper,
        _ => own_id,
    };
    let log_id = match id {
        Field::Absent | Field::Null => return Err(("missing_log_id", "no `log_id`".to_string())),
        Field::Str(s) if s.is_empty() => return Err(("missing_log_id", "`log_id` is empty".to_string())),
        Field::Str(s) if s.len() > MAX_LOG_ID_BYTES => {
            return Err(("bad_log_id", format!("`log_id` is longer than {MAX_LOG_ID_BYTES} bytes")))
        }
        // A key is never altered (that could merge two logs), so one no database can
        // hold as text (PostgreSQL refuses NUL) is refused here rather than fail the batch.
        Field::Str(s) if s.chars().any(char::is_control) => return Err(("bad_log_id", "`log_id` holds a control character".to_string())),
        Field::Str(s) => s.to_string(),
        Field::Other => return Err(("bad_log_id", "`log_id` is not a string".to_string())),
    };
    let event_type = match &log.fields[TYPE] {
        Field::Absent | Field::Null => return Err(("missing_type", "no `type`".to_string())),
        Field::Str(s) if s.is_empty() => return Err(("missing_type", "`type` is empty".to_string())),
        Field::Str(s) if s.len() > MAX_TYPE_BYTES => return Err(("bad_type", format!("`type` is longer than {MAX_TYPE_BYTES} bytes"))),
        Field::Str(s) if s.chars().any(char::is_control) => return Err(("bad_type", "`type` holds a control character".to_string())),
        Field::Str(s) => s.to_string(),
        Field::Other => return Err(("bad_type", "`type` is not a string".to_string())),
    };
    let date_ms = match &log.fields[DATE] {
        Field::Absent | Field::Null => return Err(("missing_date", "no `date`".to_string())),
        Field::Str(s) => clock::parse_rfc3339_ms(s).ok_or_else(|| ("bad_date", "`date` is not an RFC 3339 time".to_string()))?,
        Field::Other => return Err(("bad_date", "`date` is not a string".to_string())),
    };
    let organization_id = match optional(log, ORGANIZATION_ID, SHORT)? {
        Some(id) => Some(id),
        // `details` is free-form: its values are taken when they are non-empty strings
        // and ignored otherwise. Auth0 puts a sign-up's organization (`ss`) in the
        // request's body, `details.body.organization` (auth0-log-schemas, ss.schema.json).
        None => [&log.details.organization_id, &log.details.body_organization_id]
            .into_iter()
            .flatten()
            .find(|s| !s.is_empty())
            .map(|s| cut(s, SHORT)),
    };
    let location = &log.location;
    let (latitude, longitude) = match (location.latitude, location.longitude) {
        (Some(lat), Some(lon)) if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => (Some(lat), Some(lon)),
        _ => (None, None),
    };
    let country_code = location.country_code.as_deref().filter(|s| !s.is_empty()).map(|s| cut(s, COUNTRY));
    let mut optionals = [None, None, None, None, None, None, None];
    for (slot, (index, max)) in optionals.iter_mut().zip(OPTIONAL) {
        *slot = optional(log, index, max)?;
    }
    let [ip, user_id, user_name, client_id, connection, hostname, user_agent] = optionals;
    Ok(LogEvent {
        index: 0,
        start: 0,
        end: 0,
        log_id,
        event_type,
        date_ms,
        ip,
        user_id,
        user_name,
        client_id,
        connection,
        organization_id,
        hostname,
        user_agent,
        country_code,
        latitude,
        longitude,
        mfa: log.details.mfa,
    })
}

/// An optional top-level string: absent, null or empty is `None`; another type
/// rejects the log (`bad_field`); a long one is cut to `max` bytes.
fn optional(log: &Obj<'_>, index: usize, max: usize) -> Result<Option<String>, Refusal> {
    match log.fields.get(index) {
        None | Some(Field::Absent | Field::Null) => Ok(None),
        Some(Field::Str(s)) if s.is_empty() => Ok(None),
        Some(Field::Str(s)) => Ok(Some(cut(s, max))),
        Some(Field::Other) => {
            let key = FIELDS.get(index).copied().unwrap_or("?");
            Err(("bad_field", format!("`{key}` is not a string")))
        }
    }
}

/// At most `max` bytes of `s`, cut at a character boundary, each NUL replaced by
/// U+FFFD: an attacker can put one in a failed login's values (`\u0000` escaped in
/// the JSON), and PostgreSQL's text refuses it, which would fail the whole batch.
pub(super) fn cut(s: &str, max: usize) -> String {
    if s.contains('\0') {
        let mut out = s.replace('\0', "\u{FFFD}");
        crate::context::truncate_chars(&mut out, max);
        return out;
    }
    // Without a NUL, the same as copying and truncating, copying only what is kept.
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    s.get(..end).unwrap_or_default().to_string()
}

// ---------------------------------------------------------------------------------------
// The reference reading: from a `serde_json::Value`
// ---------------------------------------------------------------------------------------

impl<'a> Obj<'a> {
    fn of_value(map: &'a Map<String, Value>, level: Level) -> Obj<'a> {
        let nested = |key: &str, level: Level| {
            map.get(key).map(|v| match v {
                Value::Object(inner) => Nested::Obj(Box::new(Obj::of_value(inner, level))),
                _ => Nested::NotObject,
            })
        };
        let details = map.get("details").and_then(Value::as_object);
        let id_in = |v: Option<&'a Value>| v.and_then(|o| o.get("id")).and_then(Value::as_str).map(Cow::Borrowed);
        let performed_mfa = |prompt: &Value| {
            prompt.get("performed_amr").and_then(Value::as_array).is_some_and(|amr| amr.iter().any(|m| m.as_str() == Some("mfa")))
        };
        let location = map.get("location_info").and_then(Value::as_object);
        Obj {
            fields: FIELDS.map(|key| Field::of(map.get(key))),
            details: Details {
                organization_id: id_in(details.and_then(|d| d.get("organization"))),
                body_organization_id: id_in(details.and_then(|d| d.get("body")).and_then(|b| b.get("organization"))),
                mfa: details.and_then(|d| d.get("prompts")).and_then(Value::as_array).is_some_and(|p| p.iter().any(performed_mfa)),
            },
            location: Location {
                latitude: location.and_then(|l| l.get("latitude")).and_then(Value::as_f64),
                longitude: location.and_then(|l| l.get("longitude")).and_then(Value::as_f64),
                country_code: location.and_then(|l| l.get("country_code")).and_then(Value::as_str).map(Cow::Borrowed),
            },
            detail: if level.reads_detail() { nested("detail", Level::Detail) } else { None },
            data: if level.reads_data() { nested("data", Level::Data) } else { None },
        }
    }
}

// ---------------------------------------------------------------------------------------
// The fast reading: straight into an `Obj`
// ---------------------------------------------------------------------------------------

/// Deserializers for the parts of a log, each reading its value the way `Value` would
/// (every value through `deserialize_any`: the same recursion limit, number range and
/// string checks) but keeping only what an [`Obj`] holds. A repeated key overwrites, as
/// it does in a `Value`'s map. Objects nested anywhere whose first key is serde_json's
/// raw-value token are refused (the reference reader then reads the entry).
pub(super) mod fast {
    use super::*;

    /// The fast reader cannot vouch for this text: read it by the reference reader.
    #[derive(Debug)]
    pub(in super::super) struct Fallback;

    pub(in super::super) fn read(text: &str) -> Result<Obj<'_>, Fallback> {
        let mut de = serde_json::Deserializer::from_str(text);
        let obj = ObjSeed(Level::Top).deserialize(&mut de).map_err(|_| Fallback)?;
        de.end().map_err(|_| Fallback)?;
        Ok(obj)
    }

    /// The error that sends an entry to the reference reader.
    fn give_up<E: de::Error>() -> E {
        E::custom("left to the reference reader")
    }

    /// A map's key, as a string (borrowed when it has no escapes).
    struct Key<'a>(Cow<'a, str>);

    impl<'de> de::Deserialize<'de> for Key<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_str(StrVisitor).map(Key)
        }
    }

    struct StrVisitor;

    impl<'de> Visitor<'de> for StrVisitor {
        type Value = Cow<'de, str>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
            Ok(Cow::Borrowed(s))
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Ok(Cow::Owned(s.to_string()))
        }
        fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
            Ok(Cow::Owned(s))
        }
    }

    /// The next key of a map, refusing the raw-value token where `Value` would see it.
    fn next_key<'de, A: MapAccess<'de>>(map: &mut A, first: &mut bool) -> Result<Option<Cow<'de, str>>, A::Error> {
        let key = map.next_key::<Key<'de>>()?.map(|k| k.0);
        if std::mem::take(first) && key.as_deref() == Some(RAW_VALUE_TOKEN) {
            return Err(give_up());
        }
        Ok(key)
    }

    /// Any value, read through (every string, number and nesting checked as `Value`
    /// would) and dropped, allocating nothing.
    struct Skip;

    impl<'de> de::Deserialize<'de> for Skip {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(SkipVisitor)
        }
    }

    struct SkipVisitor;

    macro_rules! skip {
        ($($name:ident($($arg:ty)?)),*) => {$(
            fn $name<E: de::Error>(self $(, _: $arg)?) -> Result<Self::Value, E> {
                Ok(Skip)
            }
        )*};
    }

    impl<'de> Visitor<'de> for SkipVisitor {
        type Value = Skip;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        skip!(visit_unit(), visit_bool(bool), visit_i64(i64), visit_u64(u64), visit_f64(f64), visit_str(&str));
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            <() as Read>::map(map).map(|()| Skip)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            <() as Read>::seq(seq).map(|()| Skip)
        }
    }

    /// What a map or an array is read into, per place in a log.
    trait Read<'de>: Sized {
        fn map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
        fn seq<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error>;
    }

    impl<'de> Read<'de> for () {
        fn map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
            let mut first = true;
            while next_key(&mut map, &mut first)?.is_some() {
                map.next_value::<Skip>()?;
            }
            Ok(())
        }
        fn seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
            while seq.next_element::<Skip>()?.is_some() {}
            Ok(())
        }
    }

    struct Shape<T>(std::marker::PhantomData<T>);

    impl<T> Default for Shape<T> {
        fn default() -> Self {
            Shape(std::marker::PhantomData)
        }
    }

    /// The value a [`Shape`] visit gives: a string keeps its text (borrowed or owned).
    enum Got<'de, T> {
        Null,
        Number(f64),
        Str(Cow<'de, str>),
        Container(T),
        Other,
    }

    impl<'de, T: Read<'de>> Visitor<'de> for Shape<T> {
        type Value = Got<'de, T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Got::Null)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Got::Other)
        }
        // As `Value::as_f64` reads a number: an integer converted, a float as it is.
        fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
            Ok(Got::Number(n as f64))
        }
        fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
            Ok(Got::Number(n as f64))
        }
        fn visit_f64<E: de::Error>(self, n: f64) -> Result<Self::Value, E> {
            Ok(Got::Number(n))
        }
        fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
            Ok(Got::Str(Cow::Borrowed(s)))
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Ok(Got::Str(Cow::Owned(s.to_string())))
        }
        fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
            Ok(Got::Str(Cow::Owned(s)))
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            T::map(map).map(Got::Container)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            T::seq(seq).map(Got::Container)
        }
    }

    /// Reads the next value with `T`'s rules for containers.
    fn value<'de, A: MapAccess<'de>, T: Read<'de>>(map: &mut A) -> Result<Got<'de, T>, A::Error> {
        map.next_value_seed(ShapeSeed::<T>(std::marker::PhantomData))
    }

    struct ShapeSeed<T>(std::marker::PhantomData<T>);

    impl<'de, T: Read<'de>> DeserializeSeed<'de> for ShapeSeed<T> {
        type Value = Got<'de, T>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(Shape::<T>::default())
        }
    }

    // ---- the log object and its envelopes ----

    struct ObjSeed(Level);

    impl<'de> DeserializeSeed<'de> for ObjSeed {
        type Value = Obj<'de>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            // Not an object at the top: the reference reader says which refusal.
            d.deserialize_any(ObjVisitor(self.0))
        }
    }

    struct ObjVisitor(Level);

    impl<'de> Visitor<'de> for ObjVisitor {
        type Value = Obj<'de>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            read_obj_map(&mut map, self.0)
        }
    }

    fn read_obj_map<'de, A: MapAccess<'de>>(map: &mut A, level: Level) -> Result<Obj<'de>, A::Error> {
        let mut obj = Obj::default();
        let mut first = true;
        while let Some(key) = next_key(map, &mut first)? {
            if let Some(index) = field_index(&key) {
                let field = match value::<A, ()>(map)? {
                    Got::Null => Field::Null,
                    Got::Str(s) => Field::Str(s),
                    Got::Number(_) | Got::Container(()) | Got::Other => Field::Other,
                };
                if let Some(slot) = obj.fields.get_mut(index) {
                    *slot = field;
                }
                continue;
            }
            match key.as_ref() {
                "details" => obj.details = map.next_value_seed(DetailsSeed)?,
                "location_info" => obj.location = map.next_value_seed(LocationSeed)?,
                "detail" if level.reads_detail() => obj.detail = Some(map.next_value_seed(NestedSeed(Level::Detail))?),
                "data" if level.reads_data() => obj.data = Some(map.next_value_seed(NestedSeed(Level::Data))?),
                _ => {
                    map.next_value::<Skip>()?;
                }
            }
        }
        Ok(obj)
    }

    /// The index in [`FIELDS`] of a key (one comparison or two, not eleven).
    pub(super) fn field_index(key: &str) -> Option<usize> {
        let index = match key {
            "log_id" => LOG_ID,
            "type" => TYPE,
            "date" => DATE,
            "organization_id" => ORGANIZATION_ID,
            "ip" => 4,
            "user_id" => 5,
            "user_name" => 6,
            "client_id" => 7,
            "connection" => 8,
            "hostname" => 9,
            "user_agent" => 10,
            _ => return None,
        };
        Some(index)
    }

    /// An envelope's `detail` or `data`: an object read as a log, anything else noted.
    struct NestedSeed(Level);

    impl<'de> DeserializeSeed<'de> for NestedSeed {
        type Value = Nested<'de>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(NestedVisitor(self.0))
        }
    }

    struct NestedVisitor(Level);

    macro_rules! not_an_object {
        ($($name:ident($($arg:ty)?)),*) => {$(
            fn $name<E: de::Error>(self $(, _: $arg)?) -> Result<Self::Value, E> {
                Ok(Nested::NotObject)
            }
        )*};
    }

    impl<'de> Visitor<'de> for NestedVisitor {
        type Value = Nested<'de>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        not_an_object!(visit_unit(), visit_bool(bool), visit_i64(i64), visit_u64(u64), visit_f64(f64), visit_str(&str));
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            read_obj_map(&mut map, self.0).map(|o| Nested::Obj(Box::new(o)))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            <() as Read>::seq(seq).map(|()| Nested::NotObject)
        }
    }

    // ---- details ----

    struct DetailsSeed;

    impl<'de> DeserializeSeed<'de> for DetailsSeed {
        type Value = Details<'de>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            match d.deserialize_any(Shape::<Details<'de>>::default())? {
                Got::Container(details) => Ok(details),
                // Not an object: nothing read from it.
                _ => Ok(Details::default()),
            }
        }
    }

    impl<'de> Read<'de> for Details<'de> {
        fn map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
            let mut details = Details::default();
            let mut first = true;
            while let Some(key) = next_key(&mut map, &mut first)? {
                match key.as_ref() {
                    "organization" => details.organization_id = map.next_value_seed(IdSeed)?,
                    "body" => details.body_organization_id = map.next_value_seed(BodySeed)?,
                    "prompts" => details.mfa = matches!(value::<A, Prompts>(&mut map)?, Got::Container(Prompts(true))),
                    _ => {
                        map.next_value::<Skip>()?;
                    }
                }
            }
            Ok(details)
        }
        fn seq<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
            <() as Read>::seq(seq).map(|()| Details::default())
        }
    }

    /// An object's `id` when it is a string (`details.organization`,
    /// `details.body.organization`); `None` for anything else.
    struct IdSeed;

    struct Id<'de>(Option<Cow<'de, str>>);

    impl<'de> DeserializeSeed<'de> for IdSeed {
        type Value = Option<Cow<'de, str>>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            match d.deserialize_any(Shape::<Id<'de>>::default())? {
                Got::Container(Id(id)) => Ok(id),
                _ => Ok(None),
            }
        }
    }

    impl<'de> Read<'de> for Id<'de> {
        fn map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
            let mut id = None;
            let mut first = true;
            while let Some(key) = next_key(&mut map, &mut first)? {
                if key == "id" {
                    id = match value::<A, ()>(&mut map)? {
                        Got::Str(s) => Some(s),
                        _ => None,
                    };
                } else {
                    map.next_value::<Skip>()?;
                }
            }
            Ok(Id(id))
        }
        fn seq<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
            <() as Read>::seq(seq).map(|()| Id(None))
        }
    }

    /// `details.body`: its `organization.id`.
    struct BodySeed;

    struct Body<'de>(Option<Cow<'de, str>>);

    impl<'de> DeserializeSeed<'de> for BodySeed {
        type Value = Option<Cow<'de, str>>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            match d.deserialize_any(Shape::<Body<'de>>::default())? {
                Got::Container(Body(id)) => Ok(id),
                _ => Ok(None),
            }
        }
    }

    impl<'de> Read<'de> for Body<'de> {
        fn map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
            let mut id = None;
            let mut first = true;
            while let Some(key) = next_key(&mut map, &mut first)? {
                if key == "organization" {
                    id = map.next_value_seed(IdSeed)?;
                } else {
                    map.next_value::<Skip>()?;
                }
            }
            Ok(Body(id))
        }
        fn seq<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
            <() as Read>::seq(seq).map(|()| Body(None))
        }
    }

    /// `details.prompts`: true when some prompt's `performed_amr` includes `mfa`.
    struct Prompts(bool);

    impl<'de> Read<'de> for Prompts {
        fn map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
            <() as Read>::map(map).map(|()| Prompts(false))
        }
        fn seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
            let mut mfa = false;
            while let Some(got) = seq.next_element_seed(ShapeSeed::<Prompt>(std::marker::PhantomData))? {
                mfa |= matches!(got, Got::Container(Prompt(true)));
            }
            Ok(Prompts(mfa))
        }
    }

    /// One prompt: true when its `performed_amr` (the last one, if repeated) includes `mfa`.
    struct Prompt(bool);

    impl<'de> Read<'de> for Prompt {
        fn map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
            let mut mfa = false;
            let mut first = true;
            while let Some(key) = next_key(&mut map, &mut first)? {
                if key == "performed_amr" {
                    mfa = matches!(value::<A, Amr>(&mut map)?, Got::Container(Amr(true)));
                } else {
                    map.next_value::<Skip>()?;
                }
            }
            Ok(Prompt(mfa))
        }
        fn seq<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
            <() as Read>::seq(seq).map(|()| Prompt(false))
        }
    }

    /// `performed_amr`: true when an array holding the string `mfa`.
    struct Amr(bool);

    impl<'de> Read<'de> for Amr {
        fn map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
            <() as Read>::map(map).map(|()| Amr(false))
        }
        fn seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
            let mut mfa = false;
            while let Some(got) = seq.next_element_seed(ShapeSeed::<()>(std::marker::PhantomData))? {
                mfa |= matches!(got, Got::Str(s) if s == "mfa");
            }
            Ok(Amr(mfa))
        }
    }

    // ---- location_info ----

    struct LocationSeed;

    impl<'de> DeserializeSeed<'de> for LocationSeed {
        type Value = Location<'de>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            match d.deserialize_any(Shape::<Location<'de>>::default())? {
                Got::Container(location) => Ok(location),
                _ => Ok(Location::default()),
            }
        }
    }

    impl<'de> Read<'de> for Location<'de> {
        fn map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
            let mut location = Location::default();
            let mut first = true;
            while let Some(key) = next_key(&mut map, &mut first)? {
                let number = |got: Got<'de, ()>| match got {
                    Got::Number(n) => Some(n),
                    _ => None,
                };
                match key.as_ref() {
                    "latitude" => location.latitude = number(value::<A, ()>(&mut map)?),
                    "longitude" => location.longitude = number(value::<A, ()>(&mut map)?),
                    "country_code" => {
                        location.country_code = match value::<A, ()>(&mut map)? {
                            Got::Str(s) => Some(s),
                            _ => None,
                        }
                    }
                    _ => {
                        map.next_value::<Skip>()?;
                    }
                }
            }
            Ok(location)
        }
        fn seq<A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error> {
            <() as Read>::seq(seq).map(|()| Location::default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both readings of a text: the fast one (`None` when it gives up) and the
    /// reference one (`None` when the text is not a JSON object).
    fn both(text: &str) -> (Option<Obj<'_>>, Option<Value>) {
        let value = serde_json::from_str::<Value>(text).ok().filter(Value::is_object);
        (fast::read(text).ok(), value)
    }

    /// The fast reading, when it reads, is the reference's.
    fn check(text: &str) -> bool {
        let text = text.trim();
        let (fast, value) = both(text);
        let Some(fast) = fast else { return false };
        let Some(Value::Object(map)) = &value else { panic!("read fast, yet not a JSON object for the reference: {text}") };
        assert_eq!(fast, Obj::of_value(map, Level::Top), "{text}");
        assert_eq!(read(text), read_reference(text), "{text}");
        true
    }

    /// Every line of the golden cases, the sample and the load generator's shape.
    fn corpus() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        let mut take = |v: &Value| match v {
            Value::String(s) => out.push(s.clone()),
            other => out.push(other.to_string()),
        };
        for dir in ["tests/logs", "tests/detect"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let case: Value = serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
                for lines in [case.get("lines"), case.get("array")].into_iter().flatten() {
                    lines.as_array().into_iter().flatten().for_each(&mut take);
                }
                for feed in case.get("feeds").and_then(Value::as_array).into_iter().flatten() {
                    feed.as_array().into_iter().flatten().for_each(&mut take);
                }
                if let Some(body) = case.get("body").and_then(Value::as_str) {
                    body.lines().for_each(|l| take(&Value::String(l.to_string())));
                }
            }
        }
        let sample = std::fs::read_to_string(root.join("examples/logs/sample.ndjson")).unwrap();
        out.extend(sample.lines().map(str::to_string));
        out
    }

    #[test]
    fn fields_are_in_the_order_of_their_index() {
        for (i, key) in FIELDS.iter().enumerate() {
            assert_eq!(fast::field_index(key), Some(i));
        }
    }

    #[test]
    fn the_fast_reading_is_the_reference_one_over_the_corpus() {
        let corpus = corpus();
        assert!(corpus.len() > 500, "{}", corpus.len());
        let read_fast = corpus.iter().filter(|l| check(l)).count();
        // Everything valid is read fast; only what is not a JSON object falls back.
        let objects = corpus.iter().filter(|l| both(l.trim()).1.is_some()).count();
        assert_eq!(read_fast, objects);
    }

    #[test]
    fn the_fast_reading_is_the_reference_one_over_mutated_lines() {
        // Deterministic mutations (xorshift) of each line: bytes removed, JSON's own
        // characters inserted, spans repeated (repeated keys), cut short.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n.max(1) as u64) as usize
        };
        let inserts =
            ["{", "}", "[", "]", "\"", ",", ":", "0", "-", "1e400", "null", "true", "\\", "\\u0000", "\\ud800", " ", "é", "{}", "[]"];
        let (mut tried, mut fast) = (0, 0);
        for line in corpus() {
            for _ in 0..40 {
                let mut s = line.clone();
                for _ in 0..=next(3) {
                    let at = next(s.len() + 1);
                    let at = (0..=at).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
                    match next(4) {
                        0 if at < s.len() => {
                            let end = (at + 1..=s.len()).find(|i| s.is_char_boundary(*i)).unwrap_or(s.len());
                            s.replace_range(at..end, "");
                        }
                        1 => s.insert_str(at, inserts[next(inserts.len())]),
                        2 => {
                            let end = (at + next(40)).min(s.len());
                            let end = (at..=end).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(at);
                            let span = s[at..end].to_string();
                            s.insert_str(end, &span);
                        }
                        _ => s.truncate(at),
                    }
                }
                tried += 1;
                fast += usize::from(check(&s));
            }
        }
        assert!(fast > tried / 20, "{fast} of {tried} mutated lines read fast: the mutations test too little");
    }

    #[test]
    fn edge_cases_read_as_the_reference_reads_them() {
        let deep =
            |n: usize| format!(r#"{{"log_id":"1","type":"s","date":"2026-11-02T09:14:07Z","x":{}1{}}}"#, "[".repeat(n), "]".repeat(n));
        let token = r#"{"$serde_json::private::RawValue":"{\"log_id\":\"1\",\"type\":\"s\",\"date\":\"2026-11-02T09:14:07Z\"}"}"#;
        let token_inside = r#"{"log_id":"1","type":"s","date":"2026-11-02T09:14:07Z","details":{"$serde_json::private::RawValue":"[1]"}}"#;
        let cases = [
            deep(126),
            deep(127),
            deep(128),
            deep(500),
            token.to_string(),
            token_inside.to_string(),
            r#"{"log_id":"1","type":"s","date":"2026-11-02T09:14:07Z","x":1e400}"#.to_string(),
            r#"{"log_id":"1","type":"s","date":"2026-11-02T09:14:07Z","x":"\ud800"}"#.to_string(),
            r#"{"l\u006fg_id":"1","type":"s","type":null,"date":"2026-11-02T09:14:07Z"}"#.to_string(),
            r#"{"log_id":"1","data":{"type":"s","date":"2026-11-02T09:14:07Z"},"data":5}"#.to_string(),
            r#"{"detail":{"log_id":"w","data":{"type":"s","date":"2026-11-02T09:14:07Z","log_id":null}}}"#.to_string(),
            r#"{"detail":null,"data":{"type":"s"}}"#.to_string(),
            r#"{"log_id":"1","type":"s","date":"2026-11-02T09:14:07Z","details":{"prompts":[{"performed_amr":["mfa"],"performed_amr":[]}]}}"#
                .to_string(),
            r#"{"log_id":"1","type":"s","date":"2026-11-02T09:14:07Z","details":{"prompts":[7,{"performed_amr":["pwd","mfa"]}],"prompts":{}}}"#
                .to_string(),
            r#"{"log_id":"1","type":"s","date":"2026-11-02T09:14:07Z","details":{"organization":{"id":""},"body":{"organization":{"id":"org_b"}}}}"#
                .to_string(),
            r#"{"log_id":"1","type":"s","date":"2026-11-02T09:14:07Z","location_info":{"latitude":18446744073709551615,"longitude":-1,"country_code":"\u0000"}}"#
                .to_string(),
        ];
        for case in &cases {
            let reads_fast = check(case);
            let value_ok = serde_json::from_str::<Value>(case).is_ok();
            assert!(reads_fast || !value_ok || case.contains("RawValue"), "valid, yet not read fast: {case}");
        }
        assert!(!check(&deep(128)) && check(&deep(126)), "the recursion limit is Value's");
        assert_eq!(read(token).map(|e| e.log_id), Ok("1".to_string()), "the token reads as Value reads it");
    }
}
