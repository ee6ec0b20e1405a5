# Brand terms, shared by the messages below (page titles, feed, footer).
-clinic-name = Downtown Vancouver Physiotherapy
-clinic-city = Vancouver

# Site identity: the <title> suffix, the header and the meta description.
site-title = { -clinic-name }
site-description = Evidence-based articles on physiotherapy, massage therapy and acupuncture from our clinic in downtown { -clinic-city }, reviewed by licensed physiotherapists.

# Language menu in the header. language-name is this language's own name.
language-name = English
language-switcher-label = Language
# The name of each language in this language, used in running text such as the fallback notice.
language-en = English
language-fa = Persian

# Accessibility link, the first focusable element on every page.
skip-to-content = Skip to main content

# Main navigation in the header.
nav-articles = Articles
nav-topics = Topics
# Label of the main navigation for screen readers.
nav-label = Main

# Article page, under the title: reviewer, dates and reading time.
# $name is the reviewer from the front matter. $date is a date: { $date } shows it in the
# long style of this language's calendar; { DATETIME($date, dateStyle: "full") } adds the weekday.
article-reviewed-by = Reviewed by { $name }
article-published = Published on { $date }
article-updated = Updated on { $date }
article-reading-time =
    { $minutes ->
        [one] { $minutes } minute to read
       *[other] { $minutes } minutes to read
    }

# Article page: medical disclaimer shown on every article. $reviewer is the reviewer's name.
article-disclaimer = This article is for general information only and does not replace a professional assessment. Before starting any treatment, please consult { $reviewer } or another licensed health professional.

# Article page: heading of the tag list at the end of the article.
article-topics = Topics

# Article page: notice shown when some segments fall back to another language ($language is its name).
article-fallback-notice = Parts of this article have not been translated yet and are shown in { $language }.

# Index page: list of the latest articles.
index-title = Latest articles
index-read-more = Read the article

# Pagination on the index and topic pages.
pagination-label = Pages
pagination-newer = Newer articles
pagination-older = Older articles
pagination-status = Page { $page } of { $total }

# Topic (tag) pages. $topic is the tag's display name; $count the number of articles.
topics-title = All topics
topic-title = Articles about { $topic }
topic-count =
    { $count ->
        [one] { $count } article
       *[other] { $count } articles
    }

# Atom feed: the feed's title and the subscribe link in the footer.
feed-title = { -clinic-name }: articles
feed-link = Subscribe (Atom feed)

# Footer line on every page.
footer-note = { -clinic-name }: caring for patients across { -clinic-city } in English and Persian. All articles are reviewed by our licensed physiotherapists.

# Display names of the tag keys used in the articles' front matter.
tag-physiotherapy = Physiotherapy
tag-massage-therapy = Massage therapy
tag-acupuncture = Acupuncture
tag-rehabilitation = Rehabilitation
tag-pain-management = Pain management
tag-sports-injuries = Sports injuries

# Language-choice page at the site root (/).
root-title = Choose your language
