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
