# Экраны сотрудников: администраторов и классных руководителей. Staff screens.

admin-invitation-invalid = Это приглашение недействительно: оно уже использовано, отозвано или истекло. Попросите новое у того, кто его прислал.
admin-welcome = Готово! Вы — { $role }: { $scope }.
admin-role-region = администратор региона
admin-role-municipality = администратор муниципалитета
admin-role-school = администратор школы
admin-role-teacher = классный руководитель
admin-help-municipality = Команды:
    /stats — сколько уже ответили: кнопками по школам и классам; /stats <название> — сразу к школе или классу
    /results — показатели НОКО по вашей зоне
    /kit — комплект ссылок: таблица, QR-коды и плакаты архивом ZIP
    /export — анонимные ответы таблицей Excel
    /invite — пригласить администратора школы
    /team — ваша команда: кого вы пригласили, отозвать доступ
    /help — эта справка
admin-help-school = Команды:
    /stats — сколько уже ответили, по классам вашей школы (кнопками); /stats <класс> — по одному классу
    /links — ссылки классов файлом CSV
    /kit — комплект ссылок: таблица, QR-коды и плакаты архивом ZIP
    /results — показатели НОКО школы
    /export — анонимные ответы таблицей Excel
    /invite — пригласить классного руководителя
    /team — ваша команда: кого вы пригласили, отозвать доступ
    /help — эта справка
admin-help-teacher = Команды:
    /stats — сколько уже ответили в вашем классе
    /link — ссылка и QR-код класса для родительского чата
    /digest on — каждое утро строка о классе (/digest off — отключить)
    /export — анонимные ответы класса таблицей Excel (когда их не меньше порога анонимности)
    /help — эта справка
admin-command-stats = Сколько уже ответили
admin-command-links = Ссылки классов
admin-command-link = Ссылка и QR-код класса
admin-command-digest = Ежедневная строка о классе
admin-command-export = Ответы таблицей Excel
admin-no-campaigns = Сейчас нет открытых опросов.
admin-stats-campaign = «{ $name }»: { $starts } — { $ends }, цель { $target }%
admin-stats-total = Всего: { $shares }
admin-stats-share-parent = родители: { $responses } из { $base } ({ $percent }%)
admin-stats-share-student = ученики: { $responses } из { $base } ({ $percent }%)
admin-stats-not-asked = не опрашивается
admin-teacher-forward = { $audience ->
    [students] Уважаемые обучающиеся { $class } класса старше 14 лет!
    [both] Уважаемые родители и обучающиеся { $class } класса старше 14 лет!
   *[parents] Уважаемые родители { $class } класса!
} { $school } участвует в анонимном опросе о качестве условий обучения. Пожалуйста, пройдите его до { $ends } — это займёт 3–5 минут, имя и телефон не спрашиваются: { $url }
admin-teacher-forward-hint = Перешлите сообщение выше в родительский чат класса. Команда /link пришлёт ссылку снова.
admin-export-too-few = «{ $name }»: пока меньше { $threshold } ответов в группе — отдельные ответы не показываются, чтобы сохранить анонимность.
admin-export-caption = «{ $name }»: { $count ->
        [one] { $count } анонимный ответ
        [few] { $count } анонимных ответа
       *[many] { $count } анонимных ответов
    }. Классы, где меньше { $threshold } ответов, объединены без названия класса.
admin-command-results = Показатели НОКО
admin-results-header = «{ $name }» — { $scope }: показатели по { $count } ответам (в баллах 0–100)
admin-results-footer = Это часть показателей по опросу; итоговые критерии К1–К5 требуют экспертной оценки — полный отчёт: «anketa report».
admin-results-too-few = «{ $name }»: пока { $count } ответов, а показатели показываются от { $threshold } — чтобы сохранить анонимность.
admin-results-not-noko = «{ $name }»: анкета этого опроса — не форма НОКО, показатели по критериям не считаются.
admin-posters-caption = Плакаты классов с QR-кодами — распечатайте для стендов (А4, по странице на класс).
admin-results-sample-header = Выборка по школам (минимум — { $percent } % обучающихся{ $cap ->
    [0] {""}
   *[other] , не больше { $cap }
}; считаются ответы, уже открытые сотрудникам):
admin-results-sample-school = • { $school } — { $respondents } из { $required }: { $reached ->
    [yes] набрана
   *[no] ⚠ ниже выборки
}
