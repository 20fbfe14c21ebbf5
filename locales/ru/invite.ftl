# /invite и /team: приглашения вниз по иерархии и отзыв доступа.
invite-command-invite = Пригласить сотрудника
invite-command-team = Моя команда: приглашённые, отзыв доступа
invite-choose-municipality = Кого пригласить? Выберите муниципалитет — будет готово приглашение для его администратора. Страница { $page } из { $pages }.
invite-choose-school = Кого пригласить? Выберите школу — будет готово приглашение для её администратора. Страница { $page } из { $pages }.
invite-choose-class = Кого пригласить? Выберите класс — будет готово приглашение для его классного руководителя. Страница { $page } из { $pages }.
invite-no-places = Приглашать пока некуда: в списке классов нет ни одного места в вашей зоне.
invite-close = Закрыть
invite-closed = Выбор закрыт. Пригласить ещё: /invite
invite-teacher = Классные руководители не приглашают сотрудников: их приглашает администратор школы.
invite-not-allowed = Это могут только администраторы.
invite-place-not-yours = Этого места нет в вашей зоне — приглашение не создано.
invite-message = Приглашение в бот опросов НОКО.
    Роль: { $role } — { $place }.
    Чтобы начать, откройте ссылку в Telegram: { $url }
    Ссылка одноразовая и действует до { $until }.
invite-forward-hint = Перешлите сообщение выше тому, кто будет работать на этом месте: по ссылке войдёт только один человек. Неиспользованное приглашение можно отозвать в /team.
invite-created = Приглашение готово
invite-team-empty = Вы пока никого не пригласили, открытых приглашений нет. Пригласить: /invite
invite-team-header = Ваша команда — кого вы пригласили (страница { $page } из { $pages }):
invite-team-person = { $number }. { $name } — { $role }: { $place }
invite-team-invitation = { $number }. Приглашение ещё не принято: { $role } — { $place }, действует до { $until }
invite-team-invitation-short = приглашение
invite-revoke-button = Отозвать { $number }: { $who }
invite-revoke-ask-staff = Отозвать доступ? { $name } — { $role }: { $place }. Команды сотрудника станут недоступны, меню команд исчезнет.
invite-revoke-ask-invitation = Отозвать приглашение? { $role } — { $place }. Ссылка перестанет работать.
invite-revoke-yes = Да, отозвать
invite-revoke-no = Отмена
invite-revoked-staff = Доступ отозван: { $name } — { $role }: { $place }. Уведомление отправлено.
invite-revoked-invitation = Приглашение отозвано: { $role } — { $place }. Ссылка больше не работает.
invite-back-to-team = К списку
invite-already-revoked = Доступ уже отозван — ничего не изменилось.
invite-invitation-closed = Это приглашение уже принято, отозвано или истекло — ничего не изменилось.
invite-not-yours = Это не в вашей зоне — ничего не изменилось.
invite-access-ended = Здравствуйте! Ваш доступ к боту опросов закрыт ({ $role }: { $scope }). Спасибо за работу! Если это ошибка, обратитесь к тому, кто вас пригласил.
