# The class poster for the school stand (PDF). Posters are printed in Russian; English is kept
# for completeness and checks.

poster-class = Class { $class }
poster-call-to-action = { $audience ->
    [students] Students over 14! Take the anonymous survey on the quality of learning conditions at school
    [both] Parents and students over 14! Take the anonymous survey on the quality of learning conditions at school
   *[parents] Parents! Take the anonymous survey on the quality of learning conditions at school
}
poster-deadline = The survey is open until { $ends } inclusive
poster-scan = Point your phone's camera at the QR code or open the link:
poster-anonymity = The survey is anonymous: the bot does not store your name or your Telegram account. Everyone answers once.
