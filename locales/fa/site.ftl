# Brand terms, shared by the messages below (page titles, feed, footer).
-clinic-name = فیزیوتراپی مرکز شهر ونکوور
-clinic-city = ونکوور

# Site identity: the <title> suffix, the header and the meta description.
site-title = { -clinic-name }
site-description = مقاله‌های مبتنی بر شواهد دربارهٔ فیزیوتراپی، ماساژدرمانی و طب سوزنی از کلینیک ما در مرکز شهر { -clinic-city }، با بازبینی فیزیوتراپیست‌های دارای مجوز.

# Language menu in the header. language-name is this language's own name.
language-name = فارسی
language-switcher-label = زبان
# The name of each language in this language, used in running text such as the fallback notice.
language-en = انگلیسی
language-fa = فارسی

# Accessibility link, the first focusable element on every page.
skip-to-content = رفتن به محتوای اصلی

# Main navigation in the header.
nav-articles = مقاله‌ها
nav-topics = موضوع‌ها
# Label of the main navigation for screen readers.
nav-label = منوی اصلی

# Article page, under the title: reviewer, dates and reading time.
# $name is the reviewer from the front matter. $date is a date: { $date } shows it in the
# Solar Hijri calendar with Persian digits; { DATETIME($date, dateStyle: "full") } adds the weekday.
# In Persian the [one] category also matches 0, so both variants show the number.
article-reviewed-by = بازبینی علمی: { $name }
article-published = تاریخ انتشار: { $date }
article-updated = آخرین به‌روزرسانی: { $date }
article-reading-time =
    { $minutes ->
        [one] زمان مطالعه: { $minutes } دقیقه
       *[other] زمان مطالعه: { $minutes } دقیقه
    }

# Article page: medical disclaimer shown on every article. $reviewer is the reviewer's name.
article-disclaimer = این مقاله صرفاً جنبهٔ اطلاع‌رسانی عمومی دارد و جایگزین ارزیابی تخصصی نیست. پیش از شروع هر درمانی، لطفاً با { $reviewer } یا یکی دیگر از متخصصان سلامت دارای مجوز مشورت کنید.

# Article page: heading of the tag list at the end of the article.
article-topics = موضوع‌ها

# Article page: notice shown when some segments fall back to another language ($language is its name).
article-fallback-notice = بخش‌هایی از این مقاله هنوز ترجمه نشده‌اند و به زبان { $language } نمایش داده می‌شوند.

# Index page: list of the latest articles.
index-title = تازه‌ترین مقاله‌ها
index-read-more = خواندن مقاله

# Pagination on the index and topic pages.
pagination-label = صفحه‌ها
pagination-newer = مقاله‌های جدیدتر
pagination-older = مقاله‌های قدیمی‌تر
pagination-status = صفحهٔ { $page } از { $total }

# Topic (tag) pages. $topic is the tag's display name; $count the number of articles.
# In Persian the [one] category also matches 0, so both variants show the number.
topics-title = همهٔ موضوع‌ها
topic-title = مقاله‌هایی دربارهٔ «{ $topic }»
topic-count =
    { $count ->
        [one] { $count } مقاله
       *[other] { $count } مقاله
    }

# Atom feed: the feed's title and the subscribe link in the footer.
feed-title = { -clinic-name }: مقاله‌ها
feed-link = اشتراک در خوراک (Atom)

# Footer line on every page.
footer-note = { -clinic-name }: در خدمت بیماران سراسر { -clinic-city }، به دو زبان فارسی و انگلیسی. همهٔ مقاله‌ها را فیزیوتراپیست‌های دارای مجوز ما بازبینی کرده‌اند.

# Display names of the tag keys used in the articles' front matter.
tag-physiotherapy = فیزیوتراپی
tag-massage-therapy = ماساژدرمانی
tag-acupuncture = طب سوزنی
tag-rehabilitation = توان‌بخشی
tag-pain-management = کنترل درد
tag-sports-injuries = آسیب‌های ورزشی

# Language-choice page at the site root (/).
root-title = زبان خود را انتخاب کنید
