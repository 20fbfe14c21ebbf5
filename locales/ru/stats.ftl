# /stats: tapped down region → municipality → school → class, or a place named by typing.
stats-region = Весь регион
stats-school-label = { $school } ({ $municipality })
stats-class-label = { $class } — { $school }
stats-back = « Назад
stats-page = Страница { $page } из { $pages }: ‹ › листают.
stats-several = «{ $typed }» — так называется несколько мест. Выберите:
stats-did-you-mean = «{ $typed }» не нашлось. Возможно, вы имели в виду…
stats-no-such-place = «{ $typed }» не нашлось в вашей зоне. Отправьте /stats без названия и выберите кнопками.
stats-not-found = Вашего места больше нет в списке школ. Обратитесь к тому, кто вас пригласил.
stats-gone = Этого места нет. Отправьте /stats, чтобы начать сначала.

# Renaming and deleting a campaign nobody has answered: /campaigns and anketa campaign rename|delete.
campaign-edit-button-rename = Переименовать
campaign-edit-button-delete = Удалить
campaign-edit-button-yes-rename = Да, переименовать
campaign-edit-button-yes-delete = Да, удалить
campaign-edit-ask-name = Как теперь назвать кампанию «{ $name }»? Напишите новое название. (/cancel — прервать)
campaign-edit-confirm-rename = Переименовать кампанию «{ $name }» в «{ $new }»? Уже напечатанные плакаты останутся со старым названием, ссылки на них продолжат работать.
campaign-edit-confirm-delete = Удалить кампанию «{ $name }»? Ответов в ней нет; её ссылки и плакаты перестанут работать. Вернуть её будет нельзя.
campaign-edit-renamed = Кампания «{ $name }» теперь называется «{ $new }».
campaign-edit-deleted = Кампания «{ $name }» удалена вместе с её ссылками.
campaign-edit-not-found = Кампании «{ $name }» нет. Список кампаний: /campaigns или anketa campaign list.
campaign-edit-answered = В кампании «{ $name }» уже есть ответы, поэтому её нельзя ни переименовать, ни удалить. Её можно закрыть.
campaign-edit-name-taken = Кампания «{ $name }» уже есть. Выберите другое название.
campaign-edit-name-invalid = Название не должно быть пустым и длиннее { $max } знаков.
campaign-edit-failed = Не получилось: { $reason }
