# The region administrator's campaign console: /campaigns and /newcampaign.
campaigns-command-campaigns = Кампании: состояние, продление, закрытие
campaigns-command-new = Создать кампанию
campaigns-help-region = Команды:
    /campaigns — кампании: состояние, участие; продлить, закрыть, открыть снова, переименовать или удалить (пока нет ответов)
    /newcampaign — создать кампанию (название, анкеты, даты, цель)
    /cancel — прервать начатый диалог
    /stats — сколько уже ответили: кнопками от региона до класса; /stats <название> — сразу к муниципалитету, школе или классу
    /results — показатели НОКО по вашей зоне
    /report — отчёт НОКО по кампании: таблицы Excel с результатами и предложениями
    /kit — комплект ссылок: таблица, QR-коды и плакаты архивом ZIP
    /export — анонимные ответы таблицей Excel
    /invite — пригласить администратора муниципалитета
    /team — ваша команда: кого вы пригласили, отозвать доступ
    /help — эта справка
    Список классов (муниципалитет, школа, класс, учеников) пришлите сюда файлом CSV или Excel (.xlsx): я проверю его и покажу, что изменится, а загружу после кнопки «Загрузить».
campaigns-region-only = Это могут только администраторы региона.
campaigns-none = Кампаний пока нет. Создайте первую: /newcampaign
campaigns-state-scheduled = запланирована
campaigns-state-open = идёт
campaigns-state-ended = закончилась
campaigns-state-closed = закрыта
campaigns-item = «{ $name }» — { $state }
    { $starts } – { $ends }; анкеты: { $questionnaires }
    Ответили: { $shares }; цель { $target } %
campaigns-button-extend = Продлить
campaigns-button-close = Закрыть
campaigns-button-reopen = Открыть снова
campaigns-button-yes-close = Да, закрыть
campaigns-button-yes-extend = Да, продлить
campaigns-button-yes-reopen = Да, открыть
campaigns-button-cancel = Отмена
campaigns-button-done = Готово
campaigns-button-create = Создать
campaigns-ask-end = Кампания «{ $name }» сейчас идёт до { $ends }. Напишите новый последний день: ДД.ММ.ГГГГ (например, 23.12.2026) или ГГГГ-ММ-ДД.
campaigns-confirm-close = Закрыть кампанию «{ $name }»? Ссылки перестанут принимать ответы, оставшиеся ответы выйдут из урны. Открыть её снова можно будет кнопкой «Открыть снова».
campaigns-confirm-extend = Продлить кампанию «{ $name }»: последний день { $new } вместо { $old }?
campaigns-confirm-reopen = Открыть кампанию «{ $name }» снова? Ссылки снова будут принимать ответы до { $ends } включительно.
campaigns-closed = Кампания «{ $name }» закрыта: ссылки теперь отвечают, что опрос закончен.
campaigns-extended = Кампания «{ $name }» теперь идёт до { $ends } включительно.
campaigns-reopened = Кампания «{ $name }» снова открыта до { $ends } включительно.
campaigns-change-failed = Не получилось: { $reason }
campaigns-cancelled = Отменено, ничего не изменилось.
campaigns-stale-button = Эта кнопка от прежнего шага и больше не действует.
campaigns-gone = Такой кампании больше нет.
campaigns-already-closed = Кампания уже закрыта.
campaigns-not-closed = Кампания не закрыта.
campaigns-closed-reopen-first = Кампания закрыта: сначала откройте её снова.
campaigns-use-buttons = Выберите кнопкой под сообщением или напишите /cancel, чтобы прервать.
campaigns-date-unreadable = Не понимаю дату «{ $text }». Напишите ДД.ММ.ГГГГ (например, 23.11.2026) или ГГГГ-ММ-ДД (2026-11-23).
campaigns-date-past = Этот день уже прошёл (сегодня { $today }). Напишите сегодняшний или более поздний день.
campaigns-date-before-start = Последний день не может быть раньше первого ({ $starts }). Напишите другой день.
campaigns-new-name = Новая кампания. Как её назвать? Название увидят на плакатах, например: НОКО 2026. (/cancel — прервать)
campaigns-name-invalid = Название не должно быть пустым и длиннее 100 знаков. Напишите другое.
campaigns-name-taken = Кампания «{ $name }» уже есть. Напишите другое название.
campaigns-new-questionnaires = «{ $name }»: отметьте анкеты (по одной на каждую группу: родители, обучающиеся) и нажмите «Готово».
campaigns-choose-one = Отметьте хотя бы одну анкету.
campaigns-new-starts = Первый день опроса: напишите ДД.ММ.ГГГГ (например, 23.11.2026) или ГГГГ-ММ-ДД. Дни считаются по часовому поясу каждой школы.
campaigns-new-ends = Последний день опроса (включительно): ДД.ММ.ГГГГ или ГГГГ-ММ-ДД.
campaigns-new-target = Цель участия в процентах, для каждой аудитории отдельно: родители — от числа семей класса, ученики — от числа учеников. Выберите кнопкой или напишите число от 1 до 100.
campaigns-new-grades = В каких классах спрашивать анкету «{ $questionnaire }»? Выберите кнопкой или напишите классы, например 9-11 или 5,7,9-11.
campaigns-grades-every = во всех классах
campaigns-grades-button = { $grades } классы
campaigns-grades-invalid = Не удалось прочитать «{ $text }»: напишите классы с 1 по 11 через дефис и запятые, например 1-8, 9-11 или 5,7,9-11.
campaigns-target-invalid = Нужно число от 1 до 100.
campaigns-new-summary = Создать кампанию?
    Название: { $name }
    Анкеты: { $questionnaires }
    Даты: { $starts } – { $ends }
    Цель: { $target } %
campaigns-created = Кампания «{ $name }» создана. Дальше — ссылки классов с QR-кодами и плакатами: их выгружает оператор командой anketa links export --campaign "{ $name }" --out links/
campaigns-create-failed = Кампания не создана: { $reason }
