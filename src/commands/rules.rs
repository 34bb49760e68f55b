//! `rdsiam rules`: the rule catalogue as a table (id, severity, category, title).

use anyhow::Result;
use comfy_table::presets::NOTHING;
use comfy_table::{ContentArrangement, Table};

use crate::exit::Outcome;
use crate::output;
use crate::rules::catalogue;

#[derive(Debug, clap::Args)]
pub struct RulesArgs {}

pub fn run(_args: RulesArgs) -> Result<Outcome> {
    output::print_stdout(&listing())?;
    Ok(Outcome::Clean)
}

pub fn listing() -> String {
    let mut table = Table::new();
    table
        .load_preset(NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(100)
        .set_header(["ID", "SEVERITY", "CATEGORY", "TITLE"]);
    for rule in catalogue() {
        table.add_row([
            rule.id.as_str(),
            rule.severity.as_str(),
            rule.category.as_str(),
            rule.title.as_str(),
        ]);
    }
    let mut text = table.to_string();
    text.push_str(&format!(
        "\n\n{} rules. `rdsiam explain <ID>` shows one rule's documentation.\n",
        catalogue().len()
    ));
    text
}
