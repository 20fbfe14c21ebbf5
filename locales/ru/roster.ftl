# Список классов: файл, присланный боту или команде `anketa roster import`, его проверка и загрузка.
roster-preview-counts = В файле: муниципалитетов — { $municipalities }, школ — { $schools }, классов — { $classes }, учеников — { $students }.
roster-preview-diff = По сравнению с базой: новых: { $new }, изменённых: { $changed }, без изменений: { $unchanged }, нет в файле: { $absent }.
roster-more = …и ещё { $count }
roster-new-title = Новые классы ({ $count }):
roster-new-item = строка { $line }: { $municipality } / { $school } / { $class } ({ $students })
roster-changed-title = Изменится численность ({ $count }):
roster-changed-item = строка { $line }: { $school }, { $class }: { $from } → { $to }
roster-zones-title = Изменится часовой пояс ({ $count }):
roster-zone-item = строка { $line }: { $school }: { $from } → { $to }
roster-absent-title = Есть в базе, но нет в файле ({ $count }):
roster-renamed-item = строка { $line }: { $from } → { $to }
roster-renamed-classes-title = Названия классов записаны единообразно ({ $count }):
roster-renamed-names-title = ⚠ Латинские буквы внутри русских слов заменены русскими ({ $count }):
roster-schools-without-classes-title = ⚠ Школы из базы, у которых в файле нет ни одного класса ({ $count }):
roster-look-alike-title = ⚠ Похоже на то, что уже есть в базе, но записано иначе — будет добавлено отдельно ({ $count }):
roster-look-alike-item = строка { $line }: «{ $name }» — в базе «{ $stored }»
roster-errors-title = ❌ { $count ->
    [one] Ошибка
    [few] Ошибки
    [many] Ошибок
   *[other] Ошибки
} ({ $count }):
roster-line = строка { $line }: { $problem }
roster-column-municipality = муниципалитет
roster-column-school = школа
roster-column-class = класс
roster-column-students = число учеников
roster-column-timezone = часовой пояс
roster-problem-unreadable = строку нельзя прочитать ({ $detail })
roster-problem-missing = пусто в столбце «{ $column }»
roster-problem-headcount = число учеников должно быть целым и больше нуля, а здесь «{ $value }»
roster-problem-timezone = неизвестный часовой пояс «{ $value }» (пишите как Europe/Moscow или Asia/Irkutsk)
roster-problem-timezone-conflict = у школы «{ $school }» здесь пояс { $here }, а в строке { $other_line } — { $other }
roster-problem-duplicate = класс «{ $class }» школы «{ $school }» уже есть в строке { $first_line } («{ $first }»): это один и тот же класс
roster-error-not-text = Это не таблица: пришлите CSV (в Excel «Сохранить как» → «CSV UTF-8» или «CSV (разделители — запятые)») или книгу Excel .xlsx.
roster-error-workbook = Книгу Excel не удалось прочитать ({ $detail }). Сохраните её заново как .xlsx или CSV.
roster-error-empty = Файл пустой.
roster-error-missing-column = В первой строке нет столбца «{ $column }». Нужны столбцы: Муниципалитет; Школа; Класс; Учеников (и по желанию Часовой пояс).
roster-error-no-rows = В файле есть заголовок, но нет ни одного класса.
roster-applied = Список загружен: добавлено классов: { $added }, изменено: { $changed }, без изменений: { $unchanged }, удалено: { $removed }.
roster-kept-title = Оставлены, потому что на них уже есть ответы, приглашения или сотрудники ({ $count }):
roster-preview-title = Проверил файл «{ $file }».
roster-preview-confirm = Пока ничего не изменено. Нажмите «Загрузить», чтобы сохранить список.
roster-preview-fix = Ничего не загружено: исправьте ошибки в файле и пришлите его снова.
roster-button-load = Загрузить
roster-button-load-remove = Загрузить и удалить отсутствующие
roster-button-cancel = Отмена
roster-too-big = Файл слишком большой: { $size } МБ. Бот может скачать файл до 20 МБ — сохраните список как CSV или разделите его.
roster-region-only = Список классов загружают только администраторы региона. Если нужно что-то поправить, напишите им.
roster-download-failed = Не удалось скачать файл из Telegram. Пришлите его ещё раз.
roster-cancelled = Загрузка отменена, ничего не изменено.
roster-stale-file = Это кнопка старой проверки: с тех пор вы прислали другой файл. Загрузить можно только последний.
roster-stale-roster = Список в базе изменился после проверки (его загрузил кто-то другой). Пришлите файл ещё раз, чтобы проверить его заново.
roster-no-upload = Эта проверка уже не действует. Пришлите файл ещё раз.
roster-cli-not-imported = Список { $file } не загружен:
roster-cli-dry-run = Проверка без загрузки (--dry-run): база не изменена.
