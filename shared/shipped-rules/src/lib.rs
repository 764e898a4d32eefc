//! The rules of the repository's `rules/`, built in: rules are code, reviewed in git and
//! shipped with the functions that need them (the router evaluates them, the executors
//! re-check their protected users and groups), and checked at cold start.

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_yaml_file_of_rules_is_built_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
            .map(|n| format!("rules/{n}"))
            .collect();
        on_disk.sort();
        let built: Vec<String> = EMBEDDED_RULES
            .iter()
            .map(|(n, _)| (*n).to_owned())
            .collect();
        assert_eq!(built, on_disk);
        assert!(
            EMBEDDED_RULES
                .iter()
                .all(|(_, text)| text.contains("rules:") || text.contains("protected:"))
        );
    }
}
