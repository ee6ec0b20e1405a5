# Newsletter e-mails (templates/email/) and the unsubscribe page.

# The first line of every newsletter. $name is the subscriber's name.
email-greeting = Hello { $name },
# When the subscriber gave no name.
email-greeting-anonymous = Hello,
email-read-more = Read the article
# CASL: why the reader receives this message. $sender is the clinic's name.
email-reason = You are receiving this newsletter because you subscribed to news from { $sender }.
email-unsubscribe = Unsubscribe from this newsletter

unsubscribe-title = Unsubscribe
# $email is the subscriber's address.
unsubscribe-confirm = Do you want to stop receiving the newsletter at { $email }?
unsubscribe-button = Unsubscribe
unsubscribe-done = { $email } will not receive the newsletter any more.
unsubscribe-invalid = This unsubscribe link is not valid. Please use the link in the latest newsletter, or reply to it.
