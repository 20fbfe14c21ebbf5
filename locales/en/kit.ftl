# /kit: the link kit as ZIP documents.
kit-command = The link kit: table, QR codes, posters
kit-choose-campaign = The link kit of which survey?
kit-choose-municipality = The link kit of which municipality?
kit-whole-region = The whole region
kit-preparing = Preparing the kit… { $done } of { $total } { $total ->
    [one] class
   *[other] classes
}
kit-caption = Link kit: { $place }
kit-caption-campaign = Survey: { $campaign }
    Link kit: { $place }
kit-empty = There are no classes in the roster yet.
kit-not-found = There is no such place in your area.
kit-campaign-line = Survey: { $campaign }
