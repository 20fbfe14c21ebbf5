# The command line (`anketa …`): results, progress, hints, `--help`; and the refusals of the
# operations the command line and the bot's campaign console share (failure-…).

## Results and progress
cli-error = ошибка: { $reason }
cli-database = База данных: { $url }
cli-sealed = { $count ->
    [one] Ещё { $count } ответ ждёт
    [few] Ещё { $count } ответа ждут
   *[many] Ещё { $count } ответов ждут
} в урне: ответы класса выходят группами не меньше { $min } (privacy.min_group_size), остальные — когда кампания закончится.
cli-campaign-created = Кампания «{ $name }» создана: с { $starts } по { $ends }, цель { $target } %.
cli-campaign-ungraded = { $count ->
    [one] У { $count } класса
   *[other] У { $count } классов
} по названию не понять, в каком они классе (параллели), поэтому им предлагаются все анкеты кампании:
{ $classes }
cli-next-links-export = Дальше: anketa links export --campaign "{ $name }" --out links/
cli-campaigns-none = Кампаний пока нет. Создайте первую: anketa campaign create
cli-campaign-participation = ответили { $shares }; цель { $target } %
cli-links-progress = QR-коды и плакаты: { $done } из { $total } классов
cli-links-csv = Ссылки { $classes ->
    [one] { $classes } класса
   *[other] { $classes } классов
} записаны в { $path }.
cli-links-xlsx = Те же ссылки таблицей с нажимаемыми ссылками: { $path }.
cli-links-posters = QR-коды (PNG, SVG) и плакаты A4 (PDF) { $classes ->
    [one] { $classes } класса
   *[other] { $classes } классов
} в { $schools ->
    [one] { $schools } школе
   *[other] { $schools } школах
} записаны в { $path }.
cli-export-written = { $count ->
    [one] { $count } ответ записан
    [few] { $count } ответа записаны
   *[many] { $count } ответов записаны
} в { $path }.
cli-report-written = Результаты { $schools ->
    [one] { $schools } школы
   *[other] { $schools } школ
} ({ $respondents ->
    [one] { $respondents } респондент
    [few] { $respondents } респондента
   *[many] { $respondents } респондентов
}) записаны в { $path }.
cli-report-proposals = Предложений: { $count }; записаны в { $path } (класс, где меньше { $min } ответов, не называется). Не показаны ради анонимности (в школе меньше { $min } ответов): { $held_back }.
cli-report-without-expert = В файле эксперта нет строк для { $count ->
    [one] { $count } школы
   *[other] { $count } школ
}; их критерии оставлены пустыми: { $schools }.
cli-campaign-closed = Кампания «{ $name }» закрыта: её ссылки теперь отвечают, что опрос окончен.
cli-campaign-extended = Кампания «{ $name }» теперь заканчивается { $ends }.
cli-campaign-reopened = Кампания «{ $name }» снова открыта до { $ends }.
cli-link-revoked = Старая ссылка класса { $class } больше не работает. Новая ссылка:
cli-staff-heading = Сотрудники:
cli-staff-none = пока никого
cli-staff-revoked = отозван
cli-invitations-heading = Приглашения:
cli-invitation-accepted = принято
cli-invitation-accepted-by = принято (сотрудник № { $id })
cli-invitation-invited-by = пригласил сотрудник № { $id }
cli-revoked-not-told = Убрать меню из его Telegram и сообщить ему не удалось (нет TELOXIDE_TOKEN или Telegram недоступен); меню исчезнет, когда он в следующий раз наберёт команду.
cli-invitation-revoked = отозвано
cli-invitation-open = действует до { $until }
cli-revoked-staff = Доступ отозван: { $name } ({ $role }, { $scope }).
cli-revoked-invitation = Приглашение { $code } отозвано.
cli-digests-sent = Сводки отправлены: { $sent }; заблокировавшим бота: { $blocked }; не доставлены (запущенный бот повторит): { $failed }.
cli-digest-none = Сегодня у школы { $school } нет идущей кампании.
cli-db-up-to-date = База данных { $url } в актуальном состоянии.
cli-db-copied-table = скопирована таблица { $table }: строк — { $rows }
cli-db-copied = Всё скопировано из { $from } в { $to }. Укажите новую базу в ANKETA_DATABASE_URL.
cli-db-from = база --from
cli-db-to = база --to
cli-invitation = Одноразовое приглашение, действует до { $until }. Отправьте его только одному человеку:
cli-questionnaire-valid = { $file }: анкета «{ $id }» ({ $audience }) в порядке: вопросов — { $questions }, из них с условием — { $conditional }.
cli-questionnaire-invalid = анкета не прошла проверку

## Refusals
failure-no-campaign = нет кампании «{ $name }» (список: anketa campaign list)
failure-name-taken = кампания «{ $name }» уже есть (список: anketa campaign list)
failure-already-closed = кампания «{ $name }» уже закрыта
failure-not-closed = кампания «{ $name }» не закрыта
failure-closed-not-extended = кампания «{ $name }» закрыта; откройте её снова: anketa campaign reopen "{ $name }" --ends ДД.ММ.ГГГГ
failure-reopen-needs-end = последний день кампании «{ $name }» ({ $ends }) прошёл: укажите новый в --ends
failure-end-before-start = кампания заканчивается ({ $ends }) раньше, чем начинается ({ $starts })
failure-end-in-past = новая дата окончания { $ends } уже прошла (сегодня { $today }); чтобы закончить опрос сейчас, выполните anketa campaign close "{ $name }"
failure-start-in-past = первый день { $starts } уже прошёл (сегодня { $today }): укажите сегодняшний или более поздний день или добавьте --allow-past-start
failure-empty-roster = список классов пуст: сначала загрузите его (anketa roster import ФАЙЛ.csv)
failure-empty-name = у кампании нет названия
failure-target-out-of-range = цель — процент от 1 до 100 (указано { $got })
failure-no-questionnaire-given = укажите хотя бы одну анкету: --questionnaire noko-parents
failure-no-questionnaire = нет анкеты «{ $id }» в папке { $dir } (есть: { $known })
failure-same-audience = анкеты { $first } и { $second } обе для аудитории «{ $audience }»; в кампании одна анкета на аудиторию
failure-bad-grades = не удалось прочитать классы «{ $grades }»: пишите анкету и классы с 1 по 11 через дефис и запятые, например --grades noko-students=9-11 или noko-parents=1-8 или noko-students=5,7,9-11
failure-grades-for-unknown = классы заданы для анкеты «{ $id }», которой нет среди анкет кампании ({ $given })
failure-grades-twice = классы для анкеты «{ $id }» заданы дважды: укажите --grades для неё один раз
failure-no-bot-username = не задано имя бота: укажите его в bot.toml ([telegram] bot_username) или в ANKETA_BOT_USERNAME
failure-no-school = в списке классов нет школы «{ $name }»
failure-ambiguous-school = школ с названием «{ $name }» несколько; укажите одну из: { $candidates }
failure-no-municipality = в списке классов нет муниципалитета «{ $name }»
failure-no-class = в школе «{ $school }» нет класса «{ $class }»
failure-no-school-near = в списке классов нет школы «{ $name }»; возможно, вы имели в виду: { $candidates }
failure-ambiguous-class = классов с названием «{ $class }» в школе «{ $school }» несколько; укажите один из: { $candidates }
failure-no-link-yet = у класса «{ $class }» ещё нет ссылки в этой кампании: сначала выполните anketa links export
failure-bad-duration = «{ $text }» — не срок: пишите, например, 7d (дни), 48h (часы) или 90m (минуты)
failure-no-staff-member = нет действующего сотрудника с номером { $id } (список: anketa admin list)
failure-no-invitation = нет неиспользованного приглашения «{ $code }» (список: anketa admin list)
failure-one-scope = укажите ровно одну зону: --school НАЗВАНИЕ, --municipality НАЗВАНИЕ или --region
failure-no-database = нет базы данных { $path }: запустите команду из папки с bot.toml, укажите --config или ANKETA_DATABASE_URL; новую базу создаёт anketa roster import
failure-read = не удалось прочитать { $path }
failure-write = не удалось записать { $path }
failure-create-folder = не удалось создать папку { $path }
failure-roster-not-imported = список классов { $path } не загружен
failure-expert-not-used = файл эксперта { $path } не использован
failure-expert-unknown-school = строка { $line }: в списке классов нет школы «{ $school }» в муниципалитете «{ $municipality }»
failure-date = дата «{ $text }» не распознана: пишите ДД.ММ.ГГГГ (23.11.2026) или ГГГГ-ММ-ДД (2026-11-23)

## Refusals of settings, the database and start-up
failure-settings-invalid = файл настроек { $path } содержит ошибку
failure-settings-unreadable = не удалось прочитать файл настроек { $path }
failure-setting = значение { $name } «{ $got }» не подходит: нужно { $expected }
failure-expected-mode = polling или webhook (telegram.mode или ANKETA_TELEGRAM_MODE)
failure-expected-timezone = название часового пояса, например Europe/Moscow
failure-expected-time-of-day = время дня, например 09:00
failure-expected-address = адрес вида 127.0.0.1:8080 (server.listen или ANKETA_LISTEN)
failure-expected-webhook-url = публичный адрес https://, на который Телеграм отправляет обновления (telegram.webhook_url или ANKETA_WEBHOOK_URL)
failure-expected-positive = целое число не меньше 1
failure-expected-language = ru или en (ui.language или ANKETA_LANGUAGE)
failure-expected-url = адрес вида https://…
failure-expected-empty-indicators = reweight или strict (report.empty_indicators или ANKETA_REPORT_EMPTY_INDICATORS)
failure-expected-percent = целое число от 1 до 100
failure-expected-count = целое число не меньше 0
failure-expected-rate = число больше 0, например 1 или 0.5 (telegram.flood_per_second или ANKETA_FLOOD_PER_SECOND)
failure-expected-duration = срок, например 24h (часы), 90m (минуты) или 2d (дни)
failure-expected-quiet-hours = часы вида 21:00-09:00 (survey.quiet_hours или ANKETA_QUIET_HOURS)
failure-webhook-needs-listen = режиму webhook нужен адрес, на который прокси пересылает обновления: server.listen или ANKETA_LISTEN
failure-no-token = не задан TELOXIDE_TOKEN: укажите в окружении токен, который выдал @BotFather
failure-telegram-unreachable = не удалось связаться с Телеграмом с этим токеном
failure-other-bot = бот с этим токеном — @{ $actual }, а в настройках указан @{ $configured }: ссылки и плакаты вели бы не к этому боту. Исправьте ANKETA_BOT_USERNAME или telegram.bot_username (или токен) и выпустите ссылки заново
failure-bad-database-url = ANKETA_DATABASE_URL — не адрес базы данных (sqlite://ФАЙЛ или postgres://…)
failure-postgres-unreachable = не удалось подключиться к PostgreSQL: проверьте ANKETA_DATABASE_URL и что сервер запущен
failure-sqlite-unopenable = не удалось открыть базу SQLite { $url }
failure-unknown-database = ANKETA_DATABASE_URL должен начинаться с sqlite:// или postgres:// (указано "{ $url }")
failure-migrations = не удалось обновить структуру базы данных (миграции)
failure-webhook-secret-length = режиму webhook нужен ANKETA_WEBHOOK_SECRET длиной от { $min } до 256 символов (указано { $got }), один и тот же на всех копиях бота; создайте его: openssl rand -hex 32
failure-webhook-secret-alphabet = в ANKETA_WEBHOOK_SECRET допустимы только A-Z, a-z, 0-9, _ и - (правило Телеграма), один и тот же на всех копиях бота; создайте его: openssl rand -hex 32
failure-key-how = Создайте ключ командой `anketa key generate` (или `openssl rand -hex 32`), храните его вне репозитория и передайте в ANKETA_IDENTITY_KEY или положите в файл, который может читать только пользователь бота (`(umask 077; anketa key generate > identity.key)`), и укажите путь к нему в ANKETA_IDENTITY_KEY_FILE. Не меняйте ключ до конца кампании: с новым ключом все смогут ответить ещё раз.
failure-key-missing = нет ключа идентичности: задайте ANKETA_IDENTITY_KEY или ANKETA_IDENTITY_KEY_FILE.
failure-key-both-set = заданы и ANKETA_IDENTITY_KEY, и ANKETA_IDENTITY_KEY_FILE: уберите одно из них, чтобы не было сомнений, какой ключ считает участников (файл держит ключ вне окружения процесса)
failure-key-unreadable = не удалось прочитать файл ключа идентичности { $path }
failure-key-exposed = файл ключа идентичности { $path } могут читать другие пользователи (права { $mode }): выполните `chmod 600 { $path }` (и сделайте его владельцем пользователя бота)
failure-key-not-encoded = ключ идентичности — это не меньше { $min } случайных байт в шестнадцатеричном виде или base64, а не парольная фраза.
failure-key-too-short = ключ идентичности слишком короткий ({ $len } байт; нужно не меньше { $min }).
failure-bad-clock = ANKETA_CLOCK «{ $text }» — не момент времени вида 2026-11-24T09:00:00+08:00
failure-cannot-listen = не удалось занять адрес { $address } (server.listen)
failure-target-not-empty = в базе, куда копировать, уже есть список классов или кампании: копируйте только в новую пустую базу
failure-old-drafts = в исходной базе есть незаконченные ответы прежней версии: запустите на ней anketa run один раз (он перешифрует их ключом идентичности), остановите и копируйте
failure-questionnaire-invalid = анкета { $path }
failure-cannot-score = кампанию «{ $name }» нельзя оценить по критериям НОКО
failure-webhook-unregistered = не удалось зарегистрировать вебхук в Телеграме
failure-rekey = не удалось перешифровать незаконченные ответы прежней версии
failure-unfinished = начатая работа не закончилась за { $seconds } с; бот остановлен без неё
failure-scoring-missing-question = в анкете «{ $questionnaire }» нет вопроса «да/нет» { $question }, который считает показатель НОКО { $indicator }; отчёт по критериям строится только по анкетам НОКО
failure-scoring-proposals-not-text = анкета «{ $questionnaire }»: в вопросе { $question } собираются предложения НОКО, он должен быть со свободным ответом
failure-questionnaire-syntax = файл — не анкета в формате TOML: { $detail }
failure-questionnaire-bad-id = имя анкеты «{ $id }» должно состоять из 1–64 символов a-z, 0-9, «-» или «_»
failure-questionnaire-no-questions = в анкете нет вопросов
failure-questionnaire-question = вопрос "{ $question }": { $problem }

## Parse errors (clap's, reworded)
cli-parse-invalid-value = «{ $value }» не подходит для { $arg }
cli-parse-unknown-argument = неизвестный параметр { $arg }
cli-parse-unknown-command = неизвестная команда { $command }
cli-parse-missing = не указаны обязательные параметры: { $args }
cli-parse-conflict = { $arg } нельзя указать вместе с { $other }
cli-parse-valid = можно: { $values }
cli-parse-hint = Подробнее: --help

## --help: clap's headings and flags
cli-heading-usage = Использование
cli-heading-commands = Команды
cli-heading-arguments = Аргументы
cli-heading-options = Параметры
cli-placeholder-options = ПАРАМЕТРЫ
cli-placeholder-command = КОМАНДА
cli-flag-help = Показать эту справку
cli-flag-version = Показать версию

## --help: each command (cli-<path>-about) and argument (cli-<path>-arg-<name>)
cli-about = Анонимные опросы школ в Телеграме, каждый участник учтён один раз (НОКО)
cli-arg-config = Файл настроек; по умолчанию bot.toml, без него — встроенные значения
cli-run-about = Запустить бота до сигнала SIGINT или SIGTERM
cli-roster-about = Загрузить муниципалитеты, школы и классы
cli-roster-import-about = Загрузить список классов из таблицы: муниципалитет, школа, класс, учеников[, часовой пояс]
cli-roster-import-arg-file = Файл со списком классов
cli-campaign-about = Создать кампанию, показать, продлить, закрыть, открыть снова
cli-campaign-create-about = Создать кампанию по всему списку классов
cli-campaign-create-arg-name = Название кампании
cli-campaign-create-arg-questionnaires = Анкета (повторите для нескольких аудиторий), например noko-parents
cli-campaign-create-arg-grades = Классы (параллели), в которых задаётся анкета, например noko-students=9-11, noko-parents=1-8 или 5,7,9-11 (можно повторять); без него — во всех классах
cli-campaign-create-arg-starts = Первый день (в часовом поясе каждой школы): ДД.ММ.ГГГГ (23.11.2026) или ГГГГ-ММ-ДД
cli-campaign-create-arg-ends = Последний день включительно: ДД.ММ.ГГГГ или ГГГГ-ММ-ДД
cli-campaign-create-arg-target-percent = Цель для каждой аудитории: процент ответивших родителей (от числа семей) и учеников (от числа учеников)
cli-campaign-create-arg-allow-past-start = Разрешить первый день, который уже прошёл
cli-campaign-list-about = Показать кампании и участие в них
cli-campaign-close-about = Закрыть кампанию: её ссылки вежливо отвечают и ничего не сохраняют
cli-campaign-close-arg-name = Название кампании
cli-campaign-extend-about = Перенести последний день кампании
cli-campaign-extend-arg-name = Название кампании
cli-campaign-extend-arg-ends = Новый последний день: ДД.ММ.ГГГГ или ГГГГ-ММ-ДД, сегодня или позже
cli-campaign-reopen-about = Снова открыть закрытую кампанию
cli-campaign-reopen-arg-name = Название кампании
cli-campaign-reopen-arg-ends = Новый последний день (ДД.ММ.ГГГГ или ГГГГ-ММ-ДД, сегодня или позже); обязателен, если прежний прошёл
cli-links-about = Ссылки классов для родителей и учеников
cli-links-export-about = Записать в папку links.csv и Ссылки.xlsx (ссылка на каждый класс, недостающие создаются), а также QR-код и плакат A4 каждого класса в папках муниципалитет/школа
cli-links-export-arg-campaign = Название кампании
cli-links-export-arg-out = Папка, куда записать
cli-links-revoke-about = Отозвать ссылку класса (например, если она утекла) и показать новую
cli-links-revoke-arg-campaign = Название кампании
cli-links-revoke-arg-school = Школа: название или «муниципалитет/школа», если название не единственное
cli-links-revoke-arg-class = Класс, например 5А
cli-export-about = Выгрузить анонимные ответы кампании
cli-export-arg-campaign = Название кампании
cli-export-arg-format = Формат: csv (строка на ответ) или xlsx (ещё и распределения ответов); по умолчанию csv
cli-export-arg-out = Файл, куда записать
cli-report-about = Результаты по официальным критериям НОКО по школам, муниципалитетам и региону; предложения из свободных ответов — рядом (имя файла с окончанием -proposals)
cli-report-arg-campaign = Название кампании
cli-report-arg-format = Формат: csv или xlsx (лист результатов и лист пояснений); по умолчанию xlsx
cli-report-arg-out = Файл, куда записать
cli-report-arg-expert = Таблица пяти проверенных показателей по школам (муниципалитет, школа, p_inf, p_dist, p_komf_usl, p_org_dost, p_uslug_dost) для критериев К1–К5 и итога
cli-questionnaire-about = Проверить анкеты
cli-questionnaire-check-about = Проверить файл анкеты и кратко описать её
cli-questionnaire-check-arg-file = Файл анкеты в формате TOML
cli-questionnaire-preview-about = Пройти анкету в терминале так, как её покажет бот: номер кнопки или текст ответа; q — выход
cli-questionnaire-preview-arg-id-or-file = Анкета: имя из папки анкет или файл
cli-questionnaire-preview-arg-lang = Язык экранов: ru или en; по умолчанию язык командной строки
cli-admin-about = Пригласить, показать и отозвать администраторов (и показать всех сотрудников)
cli-admin-invite-about = Напечатать одноразовую ссылку-приглашение администратора зоны (последняя строка вывода)
cli-admin-invite-arg-school = Школа: название или «муниципалитет/школа», если название не единственное
cli-admin-invite-arg-municipality = Муниципалитет
cli-admin-invite-arg-region = Весь регион
cli-admin-invite-arg-expires-in = Сколько действует приглашение: 7d, 48h, 90m; по умолчанию 7d
cli-admin-list-about = Показать сотрудников и приглашения
cli-admin-revoke-about = Отозвать сотрудника (по номеру из anketa admin list) или неиспользованное приглашение (по ссылке или коду)
cli-admin-revoke-arg-id = Номер сотрудника, ссылка или код приглашения
cli-teacher-about = Пригласить классных руководителей
cli-teacher-invite-about = Напечатать одноразовую ссылку-приглашение классного руководителя (последняя строка вывода)
cli-teacher-invite-arg-school = Школа: название или «муниципалитет/школа», если название не единственное
cli-teacher-invite-arg-class = Класс, например 5А
cli-teacher-invite-arg-expires-in = Сколько действует приглашение: 7d, 48h, 90m; по умолчанию 7d
cli-db-about = Обслуживание базы данных
cli-db-migrate-about = Создать базу, если её нет, и применить миграции (это делает и anketa run)
cli-db-copy-about = Скопировать все строки в новую пустую базу, например из sqlite://anketa.db в postgres://…
cli-db-copy-arg-from = Адрес базы, откуда копировать
cli-db-copy-arg-to = Адрес новой пустой базы
cli-digest-about = Ежедневные сводки об участии
cli-digest-send-about = Отправить сегодняшние сводки сейчас (тем, кто их сегодня ещё не получил)
cli-digest-send-arg-school = Школа: название или «муниципалитет/школа»
cli-digest-send-arg-municipality = Муниципалитет
cli-digest-preview-about = Показать сегодняшнюю сводку администраторов школы, не отправляя её
cli-digest-preview-arg-school = Школа: название или «муниципалитет/школа»
cli-key-about = Ключ идентичности
cli-key-generate-about = Напечатать новый ключ идентичности (32 случайных байта в шестнадцатеричном виде) для ANKETA_IDENTITY_KEY или файла ключа: (umask 077; anketa key generate > identity.key)

## --help: the placeholders of values (cli-value-<argument>)
cli-value-config = ФАЙЛ
cli-value-campaign = КАМПАНИЯ
cli-value-format = ФОРМАТ
cli-value-out = ПУТЬ
cli-value-expert = ФАЙЛ
cli-value-file = ФАЙЛ
cli-value-name = НАЗВАНИЕ
cli-value-questionnaires = АНКЕТА
cli-value-grades = АНКЕТА=КЛАССЫ
cli-value-starts = ДАТА
cli-value-ends = ДАТА
cli-value-target-percent = ПРОЦЕНТ
cli-value-school = ШКОЛА
cli-value-municipality = МУНИЦИПАЛИТЕТ
cli-value-class = КЛАСС
cli-value-expires-in = СРОК
cli-value-id = НОМЕР
cli-value-from = АДРЕС
cli-value-to = АДРЕС
cli-value-id-or-file = АНКЕТА
cli-value-lang = ЯЗЫК

## Added with roster import --dry-run/--remove-missing and campaign rename/delete
cli-roster-import-arg-remove-missing = Удалить и классы, которых нет в файле (если на них никто не ответил и к ним нет сотрудников и приглашений)
cli-roster-import-arg-dry-run = Только проверить файл и показать, что изменится
cli-campaign-rename-about = Переименовать кампанию, на которую ещё никто не ответил
cli-campaign-rename-arg-name = Название кампании
cli-campaign-rename-arg-new-name = Новое название
cli-campaign-delete-about = Удалить кампанию, на которую ещё никто не ответил, с её ссылками и записями о сводках
cli-campaign-delete-arg-name = Название кампании
cli-value-new-name = НАЗВАНИЕ

## The expert file's refusals
failure-expert-not-utf8 = файл не в кодировке UTF-8 (в Excel выберите «CSV UTF-8» при сохранении)
failure-expert-empty = файл пуст
failure-expert-no-rows = в файле есть заголовок, но нет ни одной школы
failure-expert-missing-column = в строке заголовков нет столбца «{ $column }» (нужны: municipality, school, p_inf, p_dist, p_komf_usl, p_org_dost, p_uslug_dost или Муниципалитет, Школа, Пинф, Пдист, Пкомф.усл, Порг.дост, Пуслуг.дост)
failure-expert-row = строка { $line }: { $problem }
failure-expert-unreadable = не читается как CSV ({ $detail })
failure-expert-missing = не заполнен столбец «{ $column }»
failure-expert-not-points = в столбце «{ $column }» должно быть число от 0 до 100, а стоит «{ $got }»
failure-expert-twice = школа «{ $school }» ({ $municipality }) уже есть в строке { $first }
