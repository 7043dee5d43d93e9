//! The metadata table in README.md is the output of `examples/metadata.rs`.

#[path = "../examples/metadata.rs"]
#[allow(dead_code)]
mod metadata;

#[test]
fn readme_metadata_table_matches_the_example() {
    let readme = include_str!("../README.md");
    let begin = "<!-- metadata table: begin -->\n";
    let start = readme.find(begin).expect("table begin marker") + begin.len();
    let end = readme
        .find("<!-- metadata table: end -->")
        .expect("table end marker");
    let want: Vec<String> = metadata::table();
    let have: Vec<&str> = readme[start..end].trim_end().lines().collect();
    assert_eq!(
        have, want,
        "README.md's metadata table is stale: run `cargo run -p memheap-core --example metadata`"
    );
}
