# Newsletter e-mails (templates/email/) and the unsubscribe page.

email-greeting = { $name } عزیز، سلام
email-greeting-anonymous = سلام،
email-read-more = خواندن مقاله
email-reason = این خبرنامه را دریافت می‌کنید چون برای دریافت خبرهای { $sender } ثبت‌نام کرده‌اید.
email-unsubscribe = لغو اشتراک این خبرنامه

unsubscribe-title = لغو اشتراک
unsubscribe-confirm = آیا می‌خواهید خبرنامه دیگر به { $email } فرستاده نشود؟
unsubscribe-button = لغو اشتراک
unsubscribe-done = خبرنامه دیگر به { $email } فرستاده نمی‌شود.
unsubscribe-invalid = این پیوند لغو اشتراک معتبر نیست. لطفاً از پیوند آخرین خبرنامه استفاده کنید یا به آن پاسخ دهید.
