# Ежедневная сводка участия. Daily participation digest.
digest-header = 📊 «{ $name }» — { $scope }, сводка на { $date }
digest-final-header = 🏁 Опрос «{ $name }» завершён — { $scope }, итог на { $date }
digest-total-reached = Всего: { $shares } — цель { $target }% достигнута ✅
digest-total-below = Всего: { $shares } — ниже цели { $target }%
digest-days-left = { $days ->
        [one] Остался { $days } день.
        [few] Осталось { $days } дня.
       *[many] Осталось { $days } дней.
    }
digest-last-day = Сегодня последний день опроса.
digest-lowest = Пять классов с самым низким участием:
digest-final-footer = Спасибо всем, кто помогал! Больше сводок по этому опросу не будет.
digest-teacher = «{ $name }», ваш класс: { $line } (цель { $target }%)
digest-teacher-on = Хорошо: каждое утро вы будете получать строку о вашем классе. Отключить: /digest off
digest-teacher-off = Ежедневная строка о классе отключена. Включить: /digest on
digest-teacher-usage = Напишите /digest on, чтобы получать каждое утро строку о вашем классе, или /digest off, чтобы отключить.
# Appended to digest-teacher, only from privacy.min_group_size unfinished drafts of the class.
digest-teacher-unfinished = Начали анкету и ещё не закончили: { $count }
