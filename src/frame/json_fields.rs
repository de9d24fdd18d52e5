//! The fields of a JSON log object that framing reads, without building the
//! whole object: the other keys' values are checked and skipped, and no
//! key is copied.

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::{
    JSON_LEVEL_KEYS, JSON_LOGGER_KEYS, JSON_MESSAGE_KEYS, JSON_OTHER_KEYS, JSON_PID_KEYS,
    JSON_TIME_KEYS,
};

/// The keys framing reads (`frame::object_text`, `frame::decode_json`).
const WANTED: [&str;
    JSON_MESSAGE_KEYS.len()
        + JSON_LEVEL_KEYS.len()
        + JSON_LOGGER_KEYS.len()
        + JSON_TIME_KEYS.len()
        + JSON_PID_KEYS.len()
        + JSON_OTHER_KEYS.len()] = crate::text::joined(&[
    JSON_MESSAGE_KEYS,
    JSON_LEVEL_KEYS,
    JSON_LOGGER_KEYS,
    JSON_TIME_KEYS,
    JSON_PID_KEYS,
    JSON_OTHER_KEYS,
]);

/// A JSON object's [`WANTED`] fields, the last value of a key repeated, as
/// `serde_json::Map` keeps it.
#[derive(Debug, Default)]
pub(super) struct JsonFields(Vec<(&'static str, Value)>);

impl JsonFields {
    /// The value of `key`, if the object has it. Only [`WANTED`] keys are
    /// kept.
    pub(super) fn get(&self, key: &str) -> Option<&Value> {
        debug_assert!(WANTED.contains(&key), "{key} is not read");
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub(super) fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

impl<'de> Deserialize<'de> for JsonFields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<JsonFields, D::Error> {
        d.deserialize_map(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = JsonFields;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonFields, A::Error> {
        let mut fields = JsonFields::default();
        while let Some(Key(key)) = map.next_key::<Key>()? {
            let Some(key) = key else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let value: Value = map.next_value()?;
            match fields.0.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => fields.0.push((key, value)),
            }
        }
        Ok(fields)
    }
}

/// A key: the [`WANTED`] one it is, or `None`, read without copying it.
struct Key(Option<&'static str>);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Key, E> {
                Ok(Key(WANTED.iter().find(|w| **w == s).copied()))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The object as `serde_json::Map`, as framing read it before.
    fn as_map(text: &str) -> Option<serde_json::Map<String, Value>> {
        match serde_json::from_str(text).ok()? {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    #[test]
    fn the_wanted_fields_are_those_of_the_whole_object() {
        // The project's logs hold no JSON lines (the formats are in
        // README, Log formats): one of each shape, and edges.
        let lines = [
            r#"{"log":"Task was destroyed but it is pending!\n","stream":"stderr","time":"2024-05-01T12:00:00.1Z"}"#,
            r#"{"event": "Task exception was never retrieved", "level": "error", "logger": "asyncio", "timestamp": "2024-05-01T12:00:00.123456Z"}"#,
            r#"{"asctime": "2024-05-01 12:00:00,100", "levelname": "WARNING", "name": "asyncio", "message": "Executing <Handle f()> took 0.2 seconds", "process": 7}"#,
            r#"{"text": "x\n", "record": {"level": {"name": "ERROR"}, "time": {"repr": "t"}, "message": "m"}}"#,
            r#"{"MESSAGE": "x", "_PID": "7", "_HOSTNAME": "web1", "SYSLOG_IDENTIFIER": "python3", "PRIORITY": "3"}"#,
            r#"{"ts": "2024-05-20 22:13:20,006", "level": "info", "logger": "app.cache", "msg": "cache hit", "key": "user:60725"}"#,
            r#"{"msg": "a", "msg": "b", "level": 3, "pid": 1.5e3, "exc_info": "Traceback"}"#,
            r#"{"\u006dsg": "escaped key", "x": {"deep": [1, {"a": null}]}, "ts": true}"#,
            r#"{"log": "x\n", "stream": "stderr", "other": [1, 2, }"#,
            r#"{"msg": "trailing"} x"#,
            r#"["msg", "not an object"]"#,
            r#"{"msg": "ok"}   "#,
            r#"{}"#,
            r#"{"msg": "\ud83d\ude00 \\ \" \/", "severity": "WARN", "@timestamp": "2024"}"#,
            r#"{"msg": 12345678901234567890, "log.level": "debug", "logger_name": null}"#,
        ];
        for l in lines {
            let (fields, map) = (serde_json::from_str::<JsonFields>(l).ok(), as_map(l));
            assert_eq!(fields.is_some(), map.is_some(), "{l}");
            let (Some(fields), Some(map)) = (fields, map) else {
                continue;
            };
            for key in &WANTED {
                assert_eq!(fields.get(key), map.get(*key), "{key} in {l}");
            }
        }
    }
}
