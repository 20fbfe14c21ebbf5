# Responses workbook (Excel).
export-sheet-responses = Responses
export-sheet-distribution = Distribution
export-sheet-questions = Questions
export-col-question = Question
export-col-label = In short
export-col-answer = Answer
export-col-count = Answers
export-col-percent = Share of those who answered
export-col-text = Question text
export-text-answers = free-text answers: { $count }
