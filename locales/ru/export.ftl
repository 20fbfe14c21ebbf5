# Выгрузка ответов (Excel). Responses workbook.
export-sheet-responses = Ответы
export-sheet-distribution = Распределение
export-sheet-questions = Вопросы
export-col-question = Вопрос
export-col-label = Коротко
export-col-answer = Ответ
export-col-count = Число ответов
export-col-percent = Доля ответивших
export-col-text = Текст вопроса
export-text-answers = свободные ответы: { $count }
