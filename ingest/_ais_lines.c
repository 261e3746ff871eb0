/* The one-sentence AIS line scan of ingest/ais_lines.py in C: the same shape check, checksum
 * and position bits, for a whole read's lines in one call (no Python-level work per line).
 *
 * `scan_lines(lines)` gives, for each line, what `ais_lines.scan_line` gives: a `Position` (a
 * struct sequence with ScannedPosition's fields) for a class A or B position report of the
 * common shape (with or without a tag block before it), a `Static` for a type 5 or 24 static
 * report that holds every field kept, the message type (an int) for any
 * other one-sentence line of that shape, the address (bytes, at most 16) of a sentence that is
 * not AIS, the time (a datetime) of a Gatehouse $PGHP, and None for everything else. Only reads: every decision about what a line means stays in
 * Python (ingest/nmea_ais.py). tests/unit/test_ais_lines.py compares both on every capture line
 * and on random and hostile lines.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <stdint.h>

#define MAX_LINE 512      /* ais_lines.MAX_LINE_BYTES: longer lines are refused, not read */
#define MAX_PAYLOAD 200   /* pyais' MAX_PAYLOAD_LEN */
#define POSITION_CHARS 28 /* 168 bits: types 1, 2, 3 and 18 */

static PyTypeObject *position_type; /* made once, at import */
static PyTypeObject *static_type;

static PyStructSequence_Field position_fields[] = {
    {"ais_id", NULL},  {"mmsi", NULL},    {"lat", NULL},     {"lon", NULL},
    {"speed", NULL},   {"course", NULL},  {"heading", NULL}, {"line_time", NULL},
    {NULL, NULL},
};

static PyStructSequence_Desc position_desc = {
    "ingest._ais_lines.Position",
    "A position report of the common shape and the line's own unix time, if any.",
    position_fields,
    8,
};

static PyStructSequence_Field static_fields[] = {
    {"ais_id", NULL},   {"mmsi", NULL},     {"imo", NULL},      {"callsign", NULL},
    {"shipname", NULL}, {"ship_type", NULL}, {"to_bow", NULL},  {"to_stern", NULL},
    {"to_port", NULL},  {"to_starboard", NULL}, {"line_time", NULL}, {NULL, NULL},
};

static PyStructSequence_Desc static_desc = {
    "ingest._ais_lines.Static",
    "A one-sentence static report (type 5 or 24) and the line's own unix time, if any.",
    static_fields,
    11,
};

/* The 6-bit value of an armoured byte; bytes outside the armour read as 0, as pyais reads them. */
static int armour(unsigned char c) {
    if (c < 48 || c > 119) return 0;
    return c - 48 > 40 ? c - 56 : c - 48;
}

/* Printable but ',' and '*': the characters of a sentence's text fields. */
static int is_text(unsigned char c) {
    return c >= 0x20 && c <= 0x7e && c != ',' && c != '*';
}

static int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Bits [start, start + width) of the payload, most significant first (width <= 32); the caller
 * keeps start + width within the payload's bits. */
static uint32_t bits_at(const unsigned char *six, int start, int width) {
    uint32_t out = 0;
    for (int i = start; i < start + width; i++) {
        out = (out << 1) | ((six[i / 6] >> (5 - i % 6)) & 1u);
    }
    return out;
}

/* `width` bits of 6-bit text from bit `start`, as ais_bits._text reads it: '@' padding cut at the
 * end, then spaces at both ends. */
static PyObject *six_text(const unsigned char *six, int start, int width) {
    char text[64];
    int n = 0;
    for (int at = start; at + 6 <= start + width && n < (int)sizeof text; at += 6) {
        unsigned v = bits_at(six, at, 6);
        text[n++] = (char)(v < 32 ? v + 64 : v);
    }
    while (n > 0 && text[n - 1] == '@') n--;
    int first = 0;
    while (first < n && text[first] == ' ') first++;
    while (n > first && text[n - 1] == ' ') n--;
    return PyUnicode_FromStringAndSize(text + first, n - first);
}

/* A new reference to `stamp` as bytes, or to None when there is none. */
static PyObject *stamp_object(const unsigned char *stamp, Py_ssize_t stamp_len) {
    if (stamp == NULL) return Py_NewRef(Py_None);
    return PyBytes_FromStringAndSize((const char *)stamp, stamp_len);
}

/* A struct sequence of `type` holding `items` (new references, NULL where one failed). */
static PyObject *filled(PyTypeObject *type, PyObject **items, int count) {
    PyObject *out = NULL;
    for (int k = 0; k < count; k++) {
        if (items[k] == NULL) goto fail;
    }
    out = PyStructSequence_New(type);
    if (out == NULL) goto fail;
    for (int k = 0; k < count; k++) PyStructSequence_SET_ITEM(out, k, items[k]);
    return out;
fail:
    for (int k = 0; k < count; k++) Py_XDECREF(items[k]);
    return NULL;
}

/* A type 5 or 24 as ais_bits._static_report reads it, when the payload holds every field kept;
 * `ship_types` folds type 5's ship type as pyais does. Py_None (a new reference) when it does
 * not, or for a type 24 part that pyais refuses: the decoder's full path reads those. */
static PyObject *static_report(const unsigned char *six, int bits, int ais_id,
                               const unsigned char *ship_types, const unsigned char *stamp,
                               Py_ssize_t stamp_len) {
    PyObject *none = Py_None;
    if (ais_id == 5) {
        if (bits < 270) Py_RETURN_NONE; /* through to_starboard */
        PyObject *items[11] = {
            PyLong_FromLong(5),
            PyLong_FromUnsignedLong(bits_at(six, 8, 30)),
            PyLong_FromUnsignedLong(bits_at(six, 40, 30)),
            six_text(six, 70, 42),
            six_text(six, 112, 120),
            PyLong_FromLong(ship_types[bits_at(six, 232, 8)]),
            PyLong_FromUnsignedLong(bits_at(six, 240, 9)),
            PyLong_FromUnsignedLong(bits_at(six, 249, 9)),
            PyLong_FromUnsignedLong(bits_at(six, 258, 6)),
            PyLong_FromUnsignedLong(bits_at(six, 264, 6)),
            stamp_object(stamp, stamp_len),
        };
        return filled(static_type, items, 11);
    }
    if (bits < 40) Py_RETURN_NONE;
    uint32_t part = bits_at(six, 38, 2), mmsi = bits_at(six, 8, 30);
    if (part == 0) {
        if (bits < 160) Py_RETURN_NONE;
        PyObject *items[11] = {
            PyLong_FromLong(24), PyLong_FromUnsignedLong(mmsi), Py_NewRef(none),
            Py_NewRef(none), six_text(six, 40, 120), Py_NewRef(none), Py_NewRef(none),
            Py_NewRef(none), Py_NewRef(none), Py_NewRef(none), stamp_object(stamp, stamp_len),
        };
        return filled(static_type, items, 11);
    }
    if (part != 1) Py_RETURN_NONE;
    int auxiliary = mmsi >= 980000000u && mmsi <= 989999999u; /* no dimensions, a mothership */
    if (bits < (auxiliary ? 132 : 162)) Py_RETURN_NONE;
    PyObject *items[11] = {
        PyLong_FromLong(24),
        PyLong_FromUnsignedLong(mmsi),
        Py_NewRef(none),
        six_text(six, 90, 42),
        Py_NewRef(none),
        PyLong_FromUnsignedLong(bits_at(six, 40, 8)),
        auxiliary ? Py_NewRef(none) : PyLong_FromUnsignedLong(bits_at(six, 132, 9)),
        auxiliary ? Py_NewRef(none) : PyLong_FromUnsignedLong(bits_at(six, 141, 9)),
        auxiliary ? Py_NewRef(none) : PyLong_FromUnsignedLong(bits_at(six, 150, 6)),
        auxiliary ? Py_NewRef(none) : PyLong_FromUnsignedLong(bits_at(six, 156, 6)),
        stamp_object(stamp, stamp_len),
    };
    return filled(static_type, items, 11);
}

/* Python's floor division by a positive divisor. */
static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static int is_digits(const unsigned char *s, Py_ssize_t n, int least, int most) {
    if (n < least || n > most) return 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (s[k] < '0' || s[k] > '9') return 0;
    }
    return 1;
}

/* The length of a leading NMEA 4 tag block `\<fields>*hh\` of the common shape (printable,
 * one '*', a checksum that matches or is AMSA's placeholder 00, no group `g:`, a `c:` time of 9
 * to 13 digits if any), with `*time`/`*time_len` set to its last `c:` value; 0 when the line
 * has no tag block; -1 for one of any other shape (the decoder's full path reads it). */
static Py_ssize_t tag_block(const unsigned char *s, Py_ssize_t n, const unsigned char **time,
                            Py_ssize_t *time_len) {
    if (n == 0 || s[0] != '\\') return 0;
    Py_ssize_t end = 1;
    while (end < n && s[end] != '\\') end++;
    Py_ssize_t star = end - 3;
    if (end >= n || star < 1 || s[star] != '*') return -1;
    int high = hex_value(s[star + 1]), low = hex_value(s[star + 2]);
    if (high < 0 || low < 0) return -1;
    unsigned char sum = 0;
    for (Py_ssize_t k = 1; k < star; k++) {
        if (s[k] < 0x20 || s[k] > 0x7e || s[k] == '*') return -1;
        sum ^= s[k];
    }
    int stated = high * 16 + low;
    if (stated != 0 && stated != sum) return -1;
    *time = NULL;
    *time_len = 0;
    for (Py_ssize_t field = 1; field < star;) {
        Py_ssize_t stop = field;
        while (stop < star && s[stop] != ',') stop++;
        if (stop - field >= 2 && s[field + 1] == ':') {
            if (s[field] == 'g') return -1; /* a multi-sentence group */
            if (s[field] == 'c') {
                *time = s + field + 2;
                *time_len = stop - field - 2;
            }
        }
        field = stop + 1;
    }
    if (*time != NULL && !is_digits(*time, *time_len, 9, 13)) return -1;
    return end + 1;
}

/* The address of a printable `$`/`!` sentence that the decoder refuses as not AIS (anything but
 * VDM/VDO, the clocks it may read, RMC and ZDA, and Gatehouse's $PGHP), cut to 16 bytes as the
 * refusal's detail is; NULL for any other line. */
static PyObject *not_ais_address(const unsigned char *s, Py_ssize_t n) {
    if (n < 1 || (s[0] != '$' && s[0] != '!') || s[n - 1] == ' ') return NULL;
    Py_ssize_t comma = n;
    for (Py_ssize_t k = 0; k < n; k++) {
        if (s[k] < 0x20 || s[k] > 0x7e) return NULL;
        if (s[k] == ',' && comma == n) comma = k;
    }
    if (comma == 6 && (memcmp(s + 3, "VDM", 3) == 0 || memcmp(s + 3, "VDO", 3) == 0 ||
                       memcmp(s + 3, "RMC", 3) == 0 || memcmp(s + 3, "ZDA", 3) == 0))
        return NULL;
    if (comma == 5 && memcmp(s, "$PGHP", 5) == 0) return NULL;
    return PyBytes_FromStringAndSize((const char *)s, comma < 16 ? comma : 16);
}

/* The time of a Gatehouse `$PGHP,1,yyyy,m,d,h,m,s,ms,...*hh` of the plain shape (printable,
 * one '*', a matching checksum, seven fields of digits, a real date, ms < 1000) as an aware UTC
 * datetime; None for any other line (the decoder's full path reads or refuses it). */
static PyObject *gatehouse_time(const unsigned char *s, Py_ssize_t n) {
    if (n < 24 || memcmp(s, "$PGHP,1,", 8) != 0 || s[n - 3] != '*') Py_RETURN_NONE;
    int high = hex_value(s[n - 2]), low = hex_value(s[n - 1]);
    if (high < 0 || low < 0) Py_RETURN_NONE;
    unsigned char sum = 0;
    for (Py_ssize_t k = 1; k < n - 3; k++) {
        if (s[k] < 0x20 || s[k] > 0x7e || s[k] == '*') Py_RETURN_NONE;
        sum ^= s[k];
    }
    if (sum != (unsigned char)(high * 16 + low)) Py_RETURN_NONE;
    long values[7];
    Py_ssize_t i = 8;
    for (int f = 0; f < 7; f++) {
        Py_ssize_t start = i;
        long value = 0;
        while (i < n - 3 && s[i] >= '0' && s[i] <= '9' && i - start < 9) value = value * 10 + (s[i++] - '0');
        if (i == start || (s[i] != ',' && !(f == 6 && i == n - 3))) Py_RETURN_NONE;
        values[f] = value;
        i++;
    }
    if (values[6] >= 1000) Py_RETURN_NONE;
    PyObject *when = PyDateTimeAPI->DateTime_FromDateAndTime(
        (int)values[0], (int)values[1], (int)values[2], (int)values[3], (int)values[4],
        (int)values[5], (int)values[6] * 1000, PyDateTime_TimeZone_UTC,
        PyDateTimeAPI->DateTimeType);
    if (when == NULL && PyErr_ExceptionMatches(PyExc_ValueError)) { /* no such date */
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    return when;
}

/* What one line is; a new reference, or NULL with an exception set. */
static PyObject *scan_line(PyObject *line, const unsigned char *ship_types) {
    if (!PyBytes_Check(line)) Py_RETURN_NONE;
    const unsigned char *s = (const unsigned char *)PyBytes_AS_STRING(line);
    Py_ssize_t n = PyBytes_GET_SIZE(line);
    if (n > MAX_LINE) Py_RETURN_NONE;
    if (n > 0 && s[0] == '$') { /* never AIS: not AIS, or a clock the decoder reads */
        PyObject *address = not_ais_address(s, n);
        if (address != NULL || PyErr_Occurred()) return address;
        return gatehouse_time(s, n);
    }
    const unsigned char *tag_time = NULL;
    Py_ssize_t tag_time_len = 0;
    Py_ssize_t tag = tag_block(s, n, &tag_time, &tag_time_len);
    if (tag < 0) Py_RETURN_NONE;
    s += tag;
    n -= tag;
    /* !xxVDM,1,1,<seq>,<channel>,<payload>,<fill>*hh[,<unix time>] */
    if (tag == 0 && n > 0 && s[0] == '!') {
        PyObject *address = not_ais_address(s, n);
        if (address != NULL || PyErr_Occurred()) return address;
    }
    if (n < 11 || s[0] != '!' || !is_text(s[1]) || !is_text(s[2]) ||
        s[3] != 'V' || s[4] != 'D' || (s[5] != 'M' && s[5] != 'O') ||
        memcmp(s + 6, ",1,1,", 5) != 0)
        Py_RETURN_NONE;
    Py_ssize_t i = 11;
    if (i < n && s[i] >= '0' && s[i] <= '9') i++; /* sequence id */
    if (i >= n || s[i] != ',') Py_RETURN_NONE;
    i++;
    Py_ssize_t channel = i;
    while (i < n && is_text(s[i])) i++;
    if (i - channel > 8 || i >= n || s[i] != ',') Py_RETURN_NONE;
    i++;
    Py_ssize_t payload = i;
    while (i < n && is_text(s[i])) i++;
    Py_ssize_t chars = i - payload;
    if (chars < 2 || chars > MAX_PAYLOAD || i >= n || s[i] != ',') Py_RETURN_NONE;
    i++;
    if (i + 4 > n || s[i] < '0' || s[i] > '5' || s[i + 1] != '*') Py_RETURN_NONE;
    int fill = s[i] - '0';
    Py_ssize_t star = i + 1;
    int high = hex_value(s[star + 1]), low = hex_value(s[star + 2]);
    if (high < 0 || low < 0) Py_RETURN_NONE;
    i = star + 3;
    const unsigned char *stamp = tag_time; /* the tag block's time comes first */
    Py_ssize_t stamp_len = tag_time_len;
    if (i < n) { /* a collector's `,<unix time>`: 9 to 13 digits, then the end */
        if (s[i] != ',' || !is_digits(s + i + 1, n - i - 1, 9, 13)) Py_RETURN_NONE;
        if (stamp == NULL) {
            stamp = s + i + 1;
            stamp_len = n - i - 1;
        }
    }
    unsigned char sum = 0;
    for (Py_ssize_t k = 1; k < star; k++) sum ^= s[k];
    if (sum != (unsigned char)(high * 16 + low)) Py_RETURN_NONE;

    int ais_id = armour(s[payload]);
    unsigned char six[MAX_PAYLOAD];
    for (Py_ssize_t k = 0; k < chars; k++) six[k] = (unsigned char)armour(s[payload + k]);
    if (ais_id == 5 || ais_id == 24) {
        PyObject *report = static_report(six, (int)(6 * chars - fill), ais_id, ship_types,
                                         stamp, stamp_len);
        if (report != Py_None) return report;
        Py_DECREF(report);
        return PyLong_FromLong(ais_id);
    }
    int class_a = ais_id >= 1 && ais_id <= 3;
    if (!(class_a || ais_id == 18) || chars != POSITION_CHARS || fill != 0)
        return PyLong_FromLong(ais_id);

    int shift = class_a ? 0 : 4; /* type 18's fields sit 4 bits further on */
    int64_t lon = bits_at(six, 61 - shift, 28), lat = bits_at(six, 89 - shift, 27);
    uint32_t speed = bits_at(six, 50 - shift, 10), course = bits_at(six, 116 - shift, 12);
    uint32_t heading = bits_at(six, 128 - shift, 9);
    if (lon & 0x8000000) lon -= 0x10000000; /* two's complement, 28 and 27 bits */
    if (lat & 0x4000000) lat -= 0x8000000;

    PyObject *items[8] = {
        PyLong_FromLong(ais_id),
        PyLong_FromUnsignedLong(bits_at(six, 8, 30)),
        /* pyais' to_lat_lon: 1/10000 minutes to degrees, rounded to 6 places */
        PyFloat_FromDouble((double)floor_div(10 * lat + 3, 6) / 1e6),
        PyFloat_FromDouble((double)floor_div(10 * lon + 3, 6) / 1e6),
        PyFloat_FromDouble((double)speed / 10.0),
        PyFloat_FromDouble((double)course / 10.0),
        PyLong_FromUnsignedLong(heading),
        stamp_object(stamp, stamp_len),
    };
    return filled(position_type, items, 8);
}

static PyObject *scan_lines(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 2 || !PyBytes_Check(args[1]) || PyBytes_GET_SIZE(args[1]) != 256) {
        PyErr_SetString(PyExc_TypeError,
                        "scan_lines(lines, ship_types): ship_types is 256 bytes");
        return NULL;
    }
    const unsigned char *ship_types = (const unsigned char *)PyBytes_AS_STRING(args[1]);
    PyObject *seq = PySequence_Fast(args[0], "scan_lines() takes a sequence of lines");
    if (seq == NULL) return NULL;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    PyObject *out = PyList_New(count);
    if (out == NULL) {
        Py_DECREF(seq);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *read = scan_line(PySequence_Fast_GET_ITEM(seq, k), ship_types);
        if (read == NULL) {
            Py_DECREF(out);
            Py_DECREF(seq);
            return NULL;
        }
        PyList_SET_ITEM(out, k, read);
    }
    Py_DECREF(seq);
    return out;
}

static PyMethodDef methods[] = {
    {"scan_lines", (PyCFunction)(void (*)(void))scan_lines, METH_FASTCALL,
     "scan_lines(lines, ship_types): for each line a Position, a Static, the message type of "
     "another one-sentence line of the common shape, the address of a sentence that is not "
     "AIS, the time of a $PGHP, or None. ship_types: type 5's ship type codes folded (256 "
     "bytes)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "ingest._ais_lines",
    "The one-sentence AIS line scan of ingest/ais_lines.py, in C.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__ais_lines(void) {
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) return NULL;
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) return NULL;
    position_type = PyStructSequence_NewType(&position_desc);
    static_type = PyStructSequence_NewType(&static_desc);
    if (position_type == NULL || static_type == NULL ||
        PyModule_AddObjectRef(module, "Position", (PyObject *)position_type) < 0 ||
        PyModule_AddObjectRef(module, "Static", (PyObject *)static_type) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
