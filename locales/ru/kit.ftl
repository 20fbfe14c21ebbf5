# /kit: комплект ссылок архивами ZIP.
kit-command = Комплект ссылок: таблица, QR-коды, плакаты
kit-choose-campaign = Комплект ссылок какого опроса подготовить?
kit-choose-municipality = Комплект ссылок какого муниципалитета подготовить?
kit-whole-region = Весь регион
kit-preparing = Готовлю комплект… { $done } из { $total } { $total ->
    [one] класса
    [few] классов
   *[many] классов
}
kit-caption = Комплект ссылок: { $place }
kit-caption-campaign = Опрос: { $campaign }
    Комплект ссылок: { $place }
kit-empty = В списке пока нет классов.
kit-not-found = Такого места нет в вашей зоне.
kit-campaign-line = Опрос: { $campaign }
