-- The phrase bank schema (generated; tests/test_schema.py keeps it in step).
CREATE TABLE "chars" (
   "char" TEXT PRIMARY KEY,
   "readings" TEXT,
   "simplified" TEXT,
   "alike" TEXT
);
CREATE TABLE "curation" (
   "text" TEXT PRIMARY KEY,
   "kind" TEXT,
   "pinned" INTEGER,
   "banned" INTEGER,
   "added" INTEGER,
   "note" TEXT
);
CREATE TABLE "document_tags" (
   "doc_id" INTEGER REFERENCES "documents"("id"),
   "tag" TEXT,
   PRIMARY KEY ("doc_id", "tag")
);
CREATE TABLE "documents" (
   "id" INTEGER PRIMARY KEY,
   "path" TEXT,
   "name" TEXT,
   "sha1" TEXT,
   "encoding" TEXT,
   "chars" INTEGER
);
CREATE TABLE "entry_documents" (
   "kind" TEXT,
   "entry_id" INTEGER,
   "doc_id" INTEGER REFERENCES "documents"("id"),
   "count" INTEGER,
   PRIMARY KEY ("kind", "entry_id", "doc_id")
) WITHOUT ROWID;
CREATE TABLE "examples" (
   "id" INTEGER PRIMARY KEY,
   "kind" TEXT,
   "entry_id" INTEGER,
   "doc_id" INTEGER REFERENCES "documents"("id"),
   "line" INTEGER,
   "col" INTEGER,
   "sentence_id" INTEGER REFERENCES "sentences"("id"),
   "start" INTEGER
);
CREATE TABLE "fillers" (
   "template_id" INTEGER REFERENCES "templates"("id"),
   "filler" TEXT,
   "count" INTEGER,
   PRIMARY KEY ("template_id", "filler")
) WITHOUT ROWID;
CREATE TABLE "glosses" (
   "phrase_id" INTEGER PRIMARY KEY REFERENCES "phrases"("id"),
   "gloss" TEXT
);
CREATE TABLE "meaning_idf" (
   "char" TEXT PRIMARY KEY,
   "idf" REAL
);
CREATE TABLE "meanings" (
   "char" TEXT,
   "phrase_id" INTEGER REFERENCES "phrases"("id"),
   "weight" REAL
);
CREATE TABLE "meta" (
   "key" TEXT PRIMARY KEY,
   "value" TEXT
);
CREATE TABLE "pairs" (
   "id" INTEGER PRIMARY KEY,
   "a_id" INTEGER REFERENCES "phrases"("id"),
   "b_id" INTEGER REFERENCES "phrases"("id"),
   "a" TEXT,
   "b" TEXT,
   "count" INTEGER,
   "score" REAL,
   "pmi" REAL
);
CREATE TABLE "phrases" (
   "id" INTEGER PRIMARY KEY,
   "text" TEXT NOT NULL,
   "length" INTEGER,
   "count" INTEGER NOT NULL,
   "doc_count" INTEGER,
   "block_count" INTEGER,
   "pmi" REAL,
   "left_entropy" REAL,
   "right_entropy" REAL,
   "dispersion" REAL,
   "aligned" REAL,
   "score" REAL,
   "source" TEXT,
   "pinyin" TEXT,
   "words" TEXT,
   "rank" INTEGER
);
CREATE TABLE "ranked" (
   "id" INTEGER PRIMARY KEY,
   "texts" TEXT,
   "words" TEXT
);
CREATE TABLE "sense_pack" (
   "name" TEXT PRIMARY KEY,
   "data" BLOB
);
CREATE TABLE "senses" (
   "term" TEXT NOT NULL,
   "phrase_id" INTEGER NOT NULL REFERENCES "phrases"("id"),
   "weight" REAL,
   "idf" REAL,
   "part" INTEGER NOT NULL,
   "width" INTEGER,
   "synonym" INTEGER NOT NULL,
   PRIMARY KEY ("term", "synonym", "part", "phrase_id")
) WITHOUT ROWID;
CREATE TABLE "sentences" (
   "id" INTEGER PRIMARY KEY,
   "text" TEXT
);
CREATE VIRTUAL TABLE "sentences_fts" USING FTS5 (
    "text",
    tokenize='trigram',
    content="sentences"
);
CREATE TABLE "templates" (
   "id" INTEGER PRIMARY KEY,
   "text" TEXT,
   "prefix" TEXT,
   "suffix" TEXT,
   "count" INTEGER,
   "filler_count" INTEGER,
   "doc_count" INTEGER,
   "score" REAL,
   "rank" INTEGER
);
CREATE TABLE "texts" (
   "doc_id" INTEGER PRIMARY KEY REFERENCES "documents"("id"),
   "text" TEXT
);
CREATE TABLE "thesaurus" (
   "word" TEXT,
   "grp" INTEGER
);
CREATE INDEX "idx_document_tags_tag"
    ON "document_tags" ("tag");
CREATE INDEX "idx_entry_documents_doc_id_kind"
    ON "entry_documents" ("doc_id", "kind");
CREATE INDEX "idx_examples_kind_entry_id"
    ON "examples" ("kind", "entry_id");
CREATE INDEX "idx_examples_sentence_id"
    ON "examples" ("sentence_id");
CREATE INDEX "idx_meanings_char_phrase_id_weight"
    ON "meanings" ("char", "phrase_id", "weight");
CREATE INDEX "idx_pairs_a_id"
    ON "pairs" ("a_id");
CREATE INDEX "idx_pairs_b_id"
    ON "pairs" ("b_id");
CREATE INDEX "idx_phrases_length"
    ON "phrases" ("length");
CREATE INDEX "idx_phrases_score"
    ON "phrases" ("score");
CREATE UNIQUE INDEX "idx_phrases_text"
    ON "phrases" ("text");
CREATE INDEX "idx_templates_prefix"
    ON "templates" ("prefix");
CREATE INDEX "idx_templates_suffix"
    ON "templates" ("suffix");
CREATE UNIQUE INDEX "idx_templates_text"
    ON "templates" ("text");
CREATE INDEX "idx_thesaurus_grp"
    ON "thesaurus" ("grp");
CREATE INDEX "idx_thesaurus_word"
    ON "thesaurus" ("word");
