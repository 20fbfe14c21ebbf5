//! `questionnaire preview`: walks a questionnaire in the terminal exactly as the bot would — the
//! same engine, skip logic, screens and texts — so an author can try an edited file before a
//! campaign, with no token and no network.

use std::io::{BufRead, Write};
use std::sync::Arc;

use crate::bot::callback::{Action, CallbackData};
use crate::bot::screens::{Painter, Place};
use crate::i18n::Texts;
use crate::survey::{Draft, Input, Lang, Questionnaire, Survey};

/// Runs the preview until the respondent would submit, or the input ends (`q` quits).
/// Returns the answers that would be stored, as (question id, value).
pub fn run(
    questionnaire: Questionnaire,
    lang: Lang,
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> anyhow::Result<Option<Vec<(String, String)>>> {
    let texts = Texts::default();
    let survey = Survey::new([Arc::new(questionnaire)]);
    let place = Place { school: "(предпросмотр)", class: "—" };
    let painter = Painter { texts: &texts, lang, revision: 0 };
    let mut draft = Draft::default();
    loop {
        let screen = painter.draft(&survey, &draft, place);
        let buttons: Vec<_> = screen.keyboard.inline_keyboard.iter().flatten().collect();
        writeln!(output, "\n{}\n", screen.text)?;
        for (number, button) in buttons.iter().enumerate() {
            writeln!(output, "  [{}] {}", number + 1, button.text)?;
        }
        write!(output, "> ")?;
        output.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 || line.trim() == "q" {
            writeln!(output)?;
            return Ok(None);
        }
        let line = line.trim_end_matches(['\r', '\n']);
        let step = match line.trim().parse::<usize>().ok().and_then(|n| n.checked_sub(1)).and_then(|i| buttons.get(i)) {
            Some(button) => {
                let data = match &button.kind {
                    teloxide::types::InlineKeyboardButtonKind::CallbackData(data) => data.as_str(),
                    _ => "",
                };
                match CallbackData::parse(data).map(|d| d.action) {
                    Some(Action::Step(step)) => step,
                    Some(Action::Submit) => {
                        let answers = draft.completed_answers(&survey).unwrap_or_default();
                        writeln!(output, "\nThe bot would store:")?;
                        let stored: Vec<(String, String)> =
                            answers.into_iter().map(|(id, answer)| (id, answer.to_value())).collect();
                        for (id, value) in &stored {
                            writeln!(output, "  {id} = {value}")?;
                        }
                        return Ok(Some(stored));
                    }
                    _ => continue,
                }
            }
            None => Input::Text(line.to_string()),
        };
        match draft.step(&survey, step) {
            Ok(next) => draft = next,
            Err(error) => writeln!(output, "\n! {}", painter.step_error(&error))?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_the_shipped_questionnaire_with_its_skip_logic() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires/noko-parents.toml");
        let questionnaire = Questionnaire::load(&path).unwrap();
        // Start, q1 «Нет» (q2 skipped), then «Да» for q3…q14 except q6 «Нет» (q7 skipped), a
        // typed suggestion, submit.
        let mut keys = vec!["1", "2"];
        keys.extend(["1", "1", "1", "2", "1", "1", "1", "1", "1", "1", "1"]);
        keys.extend(["больше кружков", "1"]);
        let mut input = std::io::Cursor::new(keys.join("\n") + "\n");
        let mut output = Vec::new();
        let stored = run(questionnaire, Lang::Ru, &mut input, &mut output).unwrap().expect("submitted");
        let screen = String::from_utf8(output).unwrap();
        assert!(screen.contains("Вопрос 1 из 15") && screen.contains("Вопрос 2 из 14"), "{screen}");
        let ids: Vec<&str> = stored.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["q1", "q3", "q4", "q5", "q6", "q8", "q9", "q10", "q11", "q12", "q13", "q14", "q15"]);
        assert_eq!(stored.last().unwrap().1, "больше кружков");
    }
}
