-- The knowledge base: categories, articles in French or English, internal
-- or public (portal), folded search terms with their frequencies, and
-- helpfulness votes (counts kept on the article).
CREATE TABLE kb_categories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    parent_id INTEGER REFERENCES kb_categories(id),
    created_at INTEGER NOT NULL
);

CREATE TABLE kb_articles (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    lang TEXT NOT NULL CHECK (lang IN ('fr','en')),
    category_id INTEGER REFERENCES kb_categories(id),
    visibility TEXT NOT NULL CHECK (visibility IN ('internal','public')),
    status TEXT NOT NULL CHECK (status IN ('draft','published')),
    helpful INTEGER NOT NULL DEFAULT 0,
    not_helpful INTEGER NOT NULL DEFAULT 0,
    author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX kb_articles_lang ON kb_articles(lang, id);

CREATE TABLE kb_terms (
    term TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    tf INTEGER NOT NULL,              -- occurrences (title words count 3)
    PRIMARY KEY (term, article_id)
) WITHOUT ROWID;
CREATE INDEX kb_terms_article ON kb_terms(article_id);

CREATE TABLE kb_votes (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    helpful INTEGER NOT NULL,
    user_id INTEGER,
    comment TEXT,
    at INTEGER NOT NULL
);
